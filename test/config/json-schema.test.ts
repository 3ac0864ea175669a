import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText, loadConfig } from '../../src/config/index.js';

const schemasDir = fileURLToPath(new URL('../../schemas/', import.meta.url));

describe('the published JSON Schema', () => {
  it('is exactly what the code generates (regenerate with `npx vitest run test/config -u`)', async () => {
    await expect(configJsonSchemaText()).toMatchFileSnapshot('../../schemas/dfe-sync.config.schema.json');
  });

  it('is draft 2020-12, closed to unknown keys, and describes every key', () => {
    const schema = configJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as { properties?: Record<string, { description?: string }>; items?: unknown; additionalProperties?: unknown };
      if (n.properties) {
        expect(n.additionalProperties, path).toBe(false);
        for (const [key, child] of Object.entries(n.properties)) {
          if (!child.description) undocumented.push(`${path}.${key}`);
          walk(child, `${path}.${key}`);
        }
      }
      walk(n.items, `${path}[]`);
    };
    walk(schema, '$');
    expect(undocumented).toEqual([]);
  });
});

describe('schemas/config.example.yaml', () => {
  it('loads, with its relative paths read from the schemas directory', () => {
    const config = loadConfig(`${schemasDir}config.example.yaml`, {});
    expect(config.companies.map((c) => [c.cnpj, c.window.text, c.certificate.password.from])).toEqual([
      ['11222333000181', '19:00-05:00', 'credential'],
      ['12ABC34501DE35', '06:00-12:00, 13:00-18:00', 'file'],
      ['11444777000161', '24h', 'env'],
    ]);
    expect(config.companies[1]!.certificate.pfx).toBe(`${schemasDir}certs/filial-norte.pfx`);
    expect(config.output).toEqual({ dir: '/srv/nfe/inbound' });
  });
});
