/**
 * The config file's shape, as zod validates it and as the JSON Schema for editors shows it
 * (both come from here, so they cannot disagree). Messages say what is expected; the key
 * path and the file are added by problems.ts.
 */
import { z } from 'zod';
import { cnpjProblem, formatNSU, UF_CODES, type UF } from '../sefaz/identifiers.js';
import { LOG_LEVELS, MANIFEST_MODES } from './types.js';
import { parseWindow, WINDOW_ITEM_PATTERN } from './window.js';

type RawIssue = z.core.$ZodRawIssue;

export const DEFAULT_TIMEZONE = 'America/Sao_Paulo';
const MAX_NSU = 999_999_999_999_999;

/** How a value read from YAML reads in a message. */
function showValue(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return JSON.stringify(input.length > 80 ? `${input.slice(0, 77)}...` : input);
  return String(input);
}

/** An error map saying what a key expects; unknown keys are worded by problems.ts (with hints). */
function expecting(what: string): { error: (iss: RawIssue) => string | undefined } {
  return {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return undefined;
      return iss.input === undefined ? `missing: expected ${what}` : `expected ${what}, got ${showValue(iss.input)}`;
    },
  };
}

const always = { when: () => true };

function filePath(what: string) {
  const e = expecting(`${what} (absolute, or relative to this file's directory)`);
  return z.string(e).min(1, e);
}

function seconds(what: string, min: 'zero' | 'positive', max?: number) {
  const range = min === 'zero' ? 'a number of seconds, 0 or more' : 'a number of seconds above 0';
  const e = expecting(`${what}: ${range}${max === undefined ? '' : `, at most ${max}`}`);
  const n = min === 'zero' ? z.number(e).min(0, e) : z.number(e).positive(e);
  return max === undefined ? n : n.max(max, e);
}

function count(what: string, min: number, max?: number) {
  const e = expecting(max === undefined ? `${what}: an integer, ${min} or more` : `${what}: an integer from ${min} to ${max}`);
  const n = z.number(e).int(e).min(min, e);
  return max === undefined ? n : n.max(max, e);
}

function isHttpsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.hostname !== '';
  } catch {
    return false;
  }
}

function httpsUrl(service: string) {
  const e = expecting(`a full https:// URL of ${service} (e.g. https://127.0.0.1:8443/...)`);
  return z.string(e).refine(isHttpsUrl, e).meta({ format: 'uri', pattern: '^https://' });
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function numberCnpjMessage(n: number): string {
  const digits = String(n);
  const example = Number.isSafeInteger(n) && n > 0 && digits.length <= 14 ? ` "${digits.padStart(14, '0')}"` : '';
  return `got the number ${digits}: write the CNPJ in quotes${example ? `, e.g. cnpj:${example}` : ''}; YAML reads an unquoted CNPJ as a number and drops its leading zeros`;
}

const cnpjError = expecting('the CNPJ as a quoted string, e.g. "12345678000195"');
const cnpj = z
  .string({
    error: (iss) => (typeof iss.input === 'number' ? numberCnpjMessage(iss.input) : cnpjError.error(iss)),
  })
  .superRefine((value, ctx) => {
    const problem = cnpjProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  })
  .meta({
    description:
      'The company\'s CNPJ, in quotes: 14 digits, or the alphanumeric form (12 digits or capital letters, then 2 check digits). Check digits are verified.',
    pattern: '^[0-9A-Z]{12}[0-9]{2}$',
  });

const ufs = Object.keys(UF_CODES) as [UF, ...UF[]];
const uf = z
  .enum(ufs, expecting('a state (UF) in capital letters, such as SP or RJ'))
  .describe('The company\'s state (UF), two capital letters; sent as cUFAutor (its IBGE code).');

const passwordSourceKeys = ['passwordFile', 'passwordEnv', 'passwordCredential'] as const;

const envNameError = expecting('the name of an environment variable (letters, digits and _)');
const envNameErrorFor = () => envNameError;
const credentialError = expecting('the name of a systemd credential (no "/")');

const certificate = z
  .strictObject(
    {
      pfx: filePath('the path of the company\'s A1 certificate (.pfx / .p12)').describe(
        'The company\'s A1 certificate (.pfx / .p12). Relative paths are read from the config file\'s directory.',
      ),
      passwordFile: filePath('the path of a file holding the certificate password')
        .optional()
        .describe('A file holding the certificate password; one trailing newline is stripped.'),
      passwordEnv: z
        .string(envNameError)
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, envNameError)
        .optional()
        .describe('The environment variable holding the certificate password.'),
      passwordCredential: z
        .string(credentialError)
        .regex(/^(?!\.\.?$)[^/]+$/, credentialError)
        .optional()
        .describe('A systemd credential (LoadCredential=NAME:...) holding the password: read from $CREDENTIALS_DIRECTORY/NAME.'),
    },
    expecting('a mapping with pfx and one of passwordFile, passwordEnv or passwordCredential'),
  )
  .superRefine((value, ctx) => {
    if (typeof value !== 'object' || value === null) return;
    const given = passwordSourceKeys.filter((k) => (value as Record<string, unknown>)[k] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: `expected exactly one of passwordFile, passwordEnv or passwordCredential, found ${
        given.length === 0 ? 'none' : given.join(' and ')
      }`,
    });
  }, always)
  .meta({
    description: 'The A1 certificate used for mutual TLS with SEFAZ, and exactly one source of its password.',
    oneOf: passwordSourceKeys.map((k) => ({ required: [k] })),
  });

const windowItemError = expecting('"24h" or a range "HH:MM-HH:MM"');
const captureWindow = z
  .union(
    [
      z.string(windowItemError).meta({ pattern: WINDOW_ITEM_PATTERN }),
      z.array(z.string(windowItemError).meta({ pattern: WINDOW_ITEM_PATTERN })).min(1, expecting('at least one range')),
    ],
    expecting('"24h", a range such as "05:00-19:00" or "19:00-05:00", or a list of ranges'),
  )
  .default('24h')
  .transform((value, ctx) => {
    const parsed = parseWindow(value);
    if (parsed.ok) return parsed.window;
    for (const p of parsed.problems) {
      ctx.issues.push({ code: 'custom', message: p.message, input: value, path: p.index === null ? [] : [p.index] });
    }
    return z.NEVER;
  })
  .describe(
    'When this company may call SEFAZ, in `timezone`: "24h", "HH:MM-HH:MM" (a start after the end crosses midnight, e.g. "19:00-05:00"), or a list of non-overlapping ranges.',
  );

const NSU_EXPECTED = 'an NSU: up to 15 digits, e.g. "0" or "000000000012345"';
const startNSU = z
  .union([z.string(), z.number()], expecting(NSU_EXPECTED))
  .default('0')
  .transform((value, ctx) => {
    const ok =
      typeof value === 'string' ? /^[0-9]{1,15}$/.test(value) : Number.isSafeInteger(value) && value >= 0 && value <= MAX_NSU;
    if (ok) return formatNSU(String(value));
    ctx.issues.push({ code: 'custom', message: `expected ${NSU_EXPECTED}, got ${showValue(value)}`, input: value });
    return z.NEVER;
  })
  .meta({
    description:
      'The ultNSU to start from when the state directory holds no cursor for this CNPJ yet (e.g. another system already fetched up to it). Default 0: everything SEFAZ still keeps.',
    anyOf: [
      { type: 'string', pattern: '^[0-9]{1,15}$' },
      { type: 'integer', minimum: 0, maximum: MAX_NSU },
    ],
  });

export const ROLES = ['legal', 'financial', 'technical'] as const;

const contact = z
  .strictObject(
    {
      name: z.string(expecting('a name for the contact')).min(1, expecting('a non-empty name')).describe('Who this is, for logs and payloads.'),
      roles: z
        .array(z.enum(ROLES, expecting(ROLES.join(', '))), expecting('a list of roles'))
        .min(1, expecting('at least one role'))
        .describe('legal: the legal representative, gets everything; financial: consumption and limit notices; technical: 656s, certificates, connectivity and configuration.'),
      webhook: z
        .strictObject(
          {
            url: z.string(expecting('an http(s) URL')).url(expecting('an http(s) URL')).describe('Receives each notification as a JSON POST.'),
            secretFile: filePath('a file holding the HMAC secret').optional().describe('File with the HMAC-SHA256 secret; the body is signed in X-DfeSync-Signature: sha256=<hex>.'),
            secretEnv: z.string(envNameErrorFor()).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, envNameErrorFor()).optional().describe('Environment variable holding the HMAC secret.'),
          },
          expecting('a mapping with url'),
        )
        .optional()
        .describe('Deliver as a JSON POST, retried until it succeeds, signed when a secret is given.'),
      command: z
        .array(z.string(expecting('a program and its arguments')), expecting('a list: the program, then its arguments'))
        .min(1, expecting('at least the program'))
        .optional()
        .describe('A program run for each notification with the event as JSON on its standard input (no shell).'),
    },
    expecting('a mapping with name, roles and a webhook or command'),
  )
  .refine((c) => c.webhook !== undefined || c.command !== undefined, { message: 'expected a webhook or a command (or both) to reach this contact' })
  .describe('Someone to notify, with the roles that say what they receive.');

const contacts = z.array(contact, expecting('a list of contacts')).default([]);

const monthlyLimit = z
  .strictObject(
    {
      calls: count('monthlyLimit.calls', 1).describe('SEFAZ calls allowed in one billing period.'),
      notify: z.boolean(expecting('true or false')).default(true).describe('Notify the financial and legal contacts when the limit is reached.'),
      suspend: z.boolean(expecting('true or false')).default(false).describe("Suspend this CNPJ's capture when the limit is reached, until `dfe-sync reactivate`."),
      reactivateAtPeriodStart: z
        .boolean(expecting('true or false'))
        .default(false)
        .describe('Reactivate a suspended CNPJ on its own when the next period starts (only with suspend: true).'),
      periodStartDay: count('monthlyLimit.periodStartDay', 1, 28).default(21).describe('Day of the month a billing period starts (default the 21st: 21st to 20th).'),
    },
    expecting('a mapping with calls'),
  )
  .superRefine((l, ctx) => {
    if (l.reactivateAtPeriodStart && !l.suspend) {
      ctx.addIssue({
        code: 'custom',
        input: l.reactivateAtPeriodStart,
        path: ['reactivateAtPeriodStart'],
        message: 'reactivateAtPeriodStart only means something with suspend: true (nothing is suspended to reactivate): set suspend: true or remove it',
      });
    }
  })
  .describe('A limit on SEFAZ calls per billing period, as API contracts have.');

const company = z
  .strictObject(
    {
      cnpj,
      name: z
        .string(expecting('the company\'s name for status and logs (or no name key: the CNPJ is shown)'))
        .min(1, expecting('a non-empty name (or no name key: the CNPJ is shown)'))
        .optional()
        .describe('A name for the company, shown in status and logs. Default: its CNPJ, formatted (12.345.678/0001-95).'),
      uf,
      certificate,
      window: captureWindow,
      enabled: z
        .boolean(expecting('true or false'))
        .default(true)
        .describe('false keeps the company in status but makes no SEFAZ call for it.'),
      startNSU,
      manifest: z
        .enum(MANIFEST_MODES, expecting('ciencia or off'))
        .default('off')
        .describe('"ciencia": send Ciência da Operação (210210) for each resNFe so SEFAZ releases the full procNFe; "off": do not manifest.'),
      targetedPerHour: count('consNSU + consChNFe calls per rolling hour', 1, 20)
        .default(19)
        .describe('How many consNSU/consChNFe calls this CNPJ may make in any rolling hour (SEFAZ allows 20; the default keeps one in reserve).'),
      contacts: contacts.describe("This company's own contacts (the global contacts are notified too)."),
      monthlyLimit: monthlyLimit.optional(),
    },
    expecting('a mapping with cnpj, uf and certificate'),
  )
  .describe('One company (CNPJ) to keep in sync.');

const companies = z
  .array(company, expecting('a list of companies'))
  .min(1, expecting('at least one company'))
  .superRefine((list, ctx) => {
    if (!Array.isArray(list)) return;
    const seen = new Map<string, number>();
    list.forEach((c: unknown, i) => {
      const value = typeof c === 'object' && c !== null ? (c as { cnpj?: unknown }).cnpj : undefined;
      if (typeof value !== 'string') return;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, i);
      else ctx.addIssue({ code: 'custom', input: value, path: [i, 'cnpj'], message: `"${value}" is already configured at companies[${first}]: each CNPJ once` });
    });
  }, always)
  .describe('The companies to keep in sync: at least one, each CNPJ once.');

const sefaz = z
  .strictObject(
    {
      urls: z
        .strictObject(
          {
            distribuicao: httpsUrl('NFeDistribuicaoDFe')
              .optional()
              .describe('Full URL of NFeDistribuicaoDFe. Default: the national (AN) endpoint of `environment`.'),
            recepcaoEvento: httpsUrl('NFeRecepcaoEvento4')
              .optional()
              .describe('Full URL of NFeRecepcaoEvento4 (manifestation). Default: the national (AN) endpoint of `environment`.'),
          },
          expecting('a mapping with distribuicao and/or recepcaoEvento'),
        )
        .prefault({})
        .describe('Endpoints to use instead of SEFAZ\'s (the simulator, tests).'),
      caFile: filePath('a PEM file of extra trusted CA certificates')
        .optional()
        .describe('Extra CA certificates (PEM) to trust for the SEFAZ servers, e.g. the ICP-Brasil chain or the simulator\'s ca.pem. Server certificates are always verified.'),
      // Capped so that a stop (systemd's TimeoutStopSec=90s) always outlasts the call in flight.
      timeoutSeconds: seconds('sefaz.timeoutSeconds', 'positive', 60)
        .default(30)
        .describe('Seconds to wait for SEFAZ\'s answer to a call (at most 60).'),
      eventAction: z
        .string(expecting('sefaz.eventAction: the SOAP action for NFeRecepcaoEvento4'))
        .optional()
        .describe('SOAP action of the event service. Default http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4/nfeRecepcaoEventoNF; sources differ (sped-nfe uses …/nfeRecepcaoEvento).'),
      connectTimeoutSeconds: seconds('sefaz.connectTimeoutSeconds', 'positive', 20)
        .default(10)
        .describe('Seconds to wait for the TCP and TLS connection (at most 20).'),
    },
    expecting('a mapping'),
  )
  .prefault({})
  .describe('How to reach SEFAZ.');

const rules = z
  .strictObject(
    {
      safetyMarginSeconds: seconds('rules.safetyMarginSeconds', 'zero')
        .default(120)
        .describe('Added to every hour SEFAZ imposes (after 137, ultNSU == maxNSU, 656), against clock differences.'),
      backoffBaseSeconds: seconds('rules.backoffBaseSeconds', 'positive')
        .default(30)
        .describe('First wait after a failure (network, HTTP 5xx, cStat 108/109/999); doubles on each further failure.'),
      backoffMaxSeconds: seconds('rules.backoffMaxSeconds', 'positive')
        .default(1800)
        .describe('Longest wait between retries after failures.'),
      fetchFullAfterHours: seconds('rules.fetchFullAfterHours', 'zero')
        .default(24)
        .describe('Hours after a registered Ciência/Confirmação without the full NF-e arriving through distNSU before it is fetched with consChNFe (within the hourly budget); 0 never fetches it.'),
    },
    expecting('a mapping'),
  )
  .superRefine((r, ctx) => {
    if (r.backoffMaxSeconds < r.backoffBaseSeconds) {
      ctx.addIssue({
        code: 'custom',
        input: r.backoffMaxSeconds,
        path: ['backoffMaxSeconds'],
        message: `expected at least backoffBaseSeconds (${r.backoffBaseSeconds}), got ${r.backoffMaxSeconds}`,
      });
    }
  })
  .prefault({})
  .describe('Timing of the SEFAZ rules and of retries.');

const daemon = z
  .strictObject(
    {
      maxInFlight: count('daemon.maxInFlight', 1)
        .default(4)
        .describe('Most SEFAZ calls in flight at once, across all companies.'),
    },
    expecting('a mapping'),
  )
  .prefault({})
  .describe('The sync daemon (dfe-sync run).');

const log = z
  .strictObject(
    {
      level: z
        .enum(LOG_LEVELS, expecting(LOG_LEVELS.join(', ')))
        .default('info')
        .describe('Lowest level written to the JSON log (pino levels).'),
    },
    expecting('a mapping'),
  )
  .prefault({})
  .describe('Logging.');

const notifications = z
  .strictObject(
    {
      silentDays: count('notifications.silentDays', 1, 59).default(10).describe('Notify when a CNPJ made no successful query for this many days (SEFAZ stops generating NSUs for actors silent 60 days).'),
      fullMissingHours: count('notifications.fullMissingHours', 1).default(48).describe('Notify when a full NF-e is still missing this many hours after its ciência.'),
      documentsArrived: z.boolean(expecting('true or false')).default(false).describe('Notify (batched) when documents arrive.'),
    },
    expecting('a mapping'),
  )
  .prefault({})
  .describe('What to notify about, beyond 656s, certificates, suspensions and limits (always on).');

const http = z
  .strictObject(
    {
      listen: z
        .string(expecting('host:port, e.g. 127.0.0.1:9717'))
        .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, expecting('host:port, e.g. 127.0.0.1:9717'))
        .default('127.0.0.1:9717')
        .describe('Address of the status page, /api/status and /metrics (loopback by default).'),
      tokenFile: filePath('a file holding the access token').optional().describe('File with the token clients send as Authorization: Bearer (or ?token= on the page). Without it a token is made in stateDir/http.token.'),
      tokenCredential: z
        .string(credentialError)
        .regex(/^[^/]+$/, credentialError)
        .refine((n) => n !== '.' && n !== '..', credentialError)
        .optional()
        .describe('The token as a systemd credential: read from $CREDENTIALS_DIRECTORY/NAME (LoadCredential=NAME:/etc/dfe-sync/http.token).'),
      auth: z.enum(['on', 'off'], expecting('on or off')).default('on').describe('off is allowed only on a loopback address.'),
    },
    expecting('a mapping'),
  )
  .refine((h) => h.tokenFile === undefined || h.tokenCredential === undefined, {
    message: 'give the token as tokenFile or as tokenCredential, not both',
    path: ['tokenCredential'],
  })
  .prefault({})
  .describe('The read-only status page and metrics the daemon serves.');

const timezoneError = expecting('an IANA time zone such as America/Sao_Paulo');

/** The file as written: validated, with defaults; paths not yet resolved (see load.ts). */
export const configFileSchema = z
  .strictObject(
    {
      environment: z
        .enum(['production', 'homologation'], expecting('production or homologation'))
        .describe('Which SEFAZ environment (tpAmb 1 = production, 2 = homologation).'),
      stateDir: filePath('the directory holding dfe-sync\'s database').describe(
        'Directory of dfe-sync\'s database (cursors, documents, leases). Relative paths are read from the config file\'s directory.',
      ),
      timezone: z
        .string(timezoneError)
        .refine(isTimeZone, timezoneError)
        .default(DEFAULT_TIMEZONE)
        .transform((tz) => new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone)
        .describe('IANA time zone the capture windows are read in.'),
      companies,
      sefaz,
      output: z
        .strictObject(
          {
            dir: filePath('a directory').describe(
              'Directory the daemon writes each stored document to, as <dir>/<cnpj>/<NSU>-<kind>[-<key>].xml, right after it is committed. Relative paths are read from the config file\'s directory.',
            ),
          },
          expecting('a mapping with dir'),
        )
        .optional()
        .describe('Optional: also write each stored document as an XML file, for other systems to pick up.'),
      rules,
      daemon,
      log,
      contacts: contacts.describe('Contacts notified about every company.'),
      notifications,
      http,
    },
    expecting('a mapping with environment, stateDir and companies'),
  )
  .meta({
    title: 'dfe-sync configuration',
    description:
      'Configuration of dfe-sync, which keeps companies\' inbound NF-e in sync with SEFAZ NFeDistribuicaoDFe. Default location: $DFE_SYNC_CONFIG, then /etc/dfe-sync/config.yaml.',
  });

export type ConfigFile = z.output<typeof configFileSchema>;
