import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ENDPOINTS, tpAmbOf } from '../sefaz/endpoints.js';
import { formatCnpj, UF_CODES } from '../sefaz/identifiers.js';
import { ConfigError } from './errors.js';
import { schemaProblems, yamlProblems } from './problems.js';
import { configFileSchema, type ConfigFile } from './schema.js';
import type { CompanyConfig, Config, ContactConfig, PasswordSource } from './types.js';

export const DEFAULT_CONFIG_PATH = '/etc/dfe-sync/config.yaml';

/** `--config FILE`, else $DFE_SYNC_CONFIG, else /etc/dfe-sync/config.yaml; absolute. */
export function resolveConfigPath(file?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(file || env.DFE_SYNC_CONFIG || DEFAULT_CONFIG_PATH);
}

function passwordSource(c: ConfigFile['companies'][number]['certificate'], base: string): PasswordSource {
  if (c.passwordFile !== undefined) return { from: 'file', path: resolve(base, c.passwordFile) };
  if (c.passwordEnv !== undefined) return { from: 'env', name: c.passwordEnv };
  // The schema guarantees exactly one source.
  return { from: 'credential', name: c.passwordCredential! };
}

function contactOf(c: ConfigFile['contacts'][number], base: string): ContactConfig {
  return {
    name: c.name,
    roles: [...new Set(c.roles)],
    webhook: c.webhook === undefined ? null : {
      url: c.webhook.url,
      secretFile: c.webhook.secretFile === undefined ? null : resolve(base, c.webhook.secretFile),
      secretEnv: c.webhook.secretEnv ?? null,
    },
    command: c.command ?? null,
  };
}

/** "host:port" → its parts ("[::1]:80" → "::1", 80). */
function listenOf(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(i + 1)) };
}

function toConfig(raw: ConfigFile, file: string): Config {
  const base = dirname(file);
  const defaults = ENDPOINTS[raw.environment];
  const companies: CompanyConfig[] = raw.companies.map((c) => ({
    cnpj: c.cnpj,
    // A list of thousands of CNPJs from a spreadsheet need not invent names.
    name: c.name ?? formatCnpj(c.cnpj),
    uf: c.uf,
    cUFAutor: UF_CODES[c.uf],
    certificate: { pfx: resolve(base, c.certificate.pfx), password: passwordSource(c.certificate, base) },
    window: c.window,
    enabled: c.enabled,
    startNSU: c.startNSU,
    manifest: c.manifest,
    targetedPerHour: c.targetedPerHour,
    contacts: c.contacts.map((k) => contactOf(k, base)),
    monthlyLimit: c.monthlyLimit ?? null,
  }));
  return {
    file,
    environment: raw.environment,
    tpAmb: tpAmbOf(raw.environment),
    stateDir: resolve(base, raw.stateDir),
    timezone: raw.timezone,
    companies,
    sefaz: {
      urls: {
        distribuicao: raw.sefaz.urls.distribuicao ?? defaults.distribuicao,
        recepcaoEvento: raw.sefaz.urls.recepcaoEvento ?? defaults.recepcaoEvento,
      },
      caFile: raw.sefaz.caFile === undefined ? null : resolve(base, raw.sefaz.caFile),
      timeoutSeconds: raw.sefaz.timeoutSeconds,
      connectTimeoutSeconds: raw.sefaz.connectTimeoutSeconds,
      eventAction: raw.sefaz.eventAction ?? null,
    },
    output: raw.output ? { dir: resolve(base, raw.output.dir) } : null,
    rules: { ...raw.rules },
    daemon: { ...raw.daemon },
    log: { ...raw.log },
    contacts: raw.contacts.map((k) => contactOf(k, base)),
    notifications: { ...raw.notifications },
    http: { ...listenOf(raw.http.listen), tokenFile: raw.http.tokenFile === undefined ? null : resolve(base, raw.http.tokenFile), tokenCredential: raw.http.tokenCredential ?? null, auth: raw.http.auth },
  };
}

/**
 * Parses and validates a config file's text. `file` names it in messages and anchors its
 * relative paths. Every problem found is reported at once, in file order.
 */
export function parseConfig(text: string, file: string): Config {
  const path = resolve(file);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const syntax = yamlProblems(doc, lc);
  if (syntax.length > 0) throw new ConfigError('CONFIG_INVALID', path, syntax);
  let data: unknown;
  try {
    // A bound on alias expansion keeps a hostile file from exhausting memory.
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', path, [(err as Error).message], { cause: err });
  }
  if (data === null || data === undefined) {
    throw new ConfigError('CONFIG_INVALID', path, ['the file is empty: expected a mapping with environment, stateDir and companies']);
  }
  const result = configFileSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError('CONFIG_INVALID', path, schemaProblems(result.error.issues, configFileSchema, doc, lc));
  }
  return toConfig(result.data, path);
}

/** Reads the config (see resolveConfigPath for which file). Throws ConfigError. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = resolveConfigPath(file, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        'CONFIG_MISSING',
        path,
        ['config file not found: pass --config FILE or set DFE_SYNC_CONFIG (default /etc/dfe-sync/config.yaml)'],
        { cause: err },
      );
    }
    const why = code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ConfigError('CONFIG_INVALID', path, [`cannot read the config file: ${why}`], { cause: err });
  }
  return parseConfig(text, path);
}
