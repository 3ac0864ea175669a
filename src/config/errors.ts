import { DfeSyncError } from '../errors.js';

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_MISSING' | 'PASSWORD_UNAVAILABLE';

/**
 * A config file that cannot be used, or a certificate password that cannot be read.
 * The message names the file on every line, so an operator reading a journal sees where
 * to look; `problems` holds the same lines for callers that list them differently.
 */
export class ConfigError extends DfeSyncError {
  constructor(
    code: ConfigErrorCode,
    readonly file: string,
    readonly problems: readonly string[],
    options: { cause?: unknown } = {},
  ) {
    super(code, problems.map((p) => `${file}: ${p}`).join('\n'), options);
  }
}
