import { z } from 'zod';
import { configFileSchema } from './schema.js';

/**
 * The JSON Schema (draft 2020-12) of the config file as written, for editors
 * (yaml-language-server, VS Code). Checks that JSON Schema cannot express (check digits,
 * overlapping windows, time zones) are only in loadConfig.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configFileSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
}

/** The text of schemas/dfe-sync.config.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
