export { ConfigError, type ConfigErrorCode } from './errors.js';
export { configJsonSchema, configJsonSchemaText } from './json-schema.js';
export { DEFAULT_CONFIG_PATH, loadConfig, parseConfig, resolveConfigPath } from './load.js';
export { readCompanyPassword } from './password.js';
export { DEFAULT_TIMEZONE } from './schema.js';
export * from './types.js';
export { parseWindow } from './window.js';
