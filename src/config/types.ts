import type { Environment, TpAmb } from '../sefaz/endpoints.js';
import type { UF } from '../sefaz/identifiers.js';
import type { CaptureWindow } from './window.js';

export type { CaptureWindow, WindowRange } from './window.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MANIFEST_MODES = ['ciencia', 'off'] as const;
export type ManifestMode = (typeof MANIFEST_MODES)[number];

export type Role = 'legal' | 'financial' | 'technical';

export interface ContactConfig {
  name: string;
  roles: Role[];
  /** secret paths absolute; the secret itself is read when delivering */
  webhook: { url: string; secretFile: string | null; secretEnv: string | null } | null;
  command: string[] | null;
}

export interface MonthlyLimitConfig {
  calls: number;
  notify: boolean;
  suspend: boolean;
  reactivateAtPeriodStart: boolean;
  /** 1..28 */
  periodStartDay: number;
}

/** Where a certificate's password comes from: exactly one source per company. */
export type PasswordSource =
  | { from: 'file'; path: string }
  | { from: 'env'; name: string }
  | { from: 'credential'; name: string };

export interface CompanyConfig {
  /** 14 characters, numeric or alphanumeric, check digits verified. */
  cnpj: string;
  /** As configured; without one, the CNPJ formatted (12.345.678/0001-95). */
  name: string;
  uf: UF;
  /** IBGE code of `uf`, as sent in distDFeInt. */
  cUFAutor: string;
  /** `pfx` is absolute (resolved against the config file's directory). */
  certificate: { pfx: string; password: PasswordSource };
  window: CaptureWindow;
  enabled: boolean;
  /** 15 digits: the ultNSU to start from when the state has no cursor yet. */
  startNSU: string;
  manifest: ManifestMode;
  /** consNSU + consChNFe allowed in any rolling hour, 1..20. */
  targetedPerHour: number;
  contacts: ContactConfig[];
  monthlyLimit: MonthlyLimitConfig | null;
}

/** The config file with every default applied and every path absolute. Plain data. */
export interface Config {
  /** Absolute path of the file it was read from. */
  file: string;
  environment: Environment;
  tpAmb: TpAmb;
  stateDir: string;
  /** IANA time zone (canonical spelling) the capture windows are read in. */
  timezone: string;
  companies: CompanyConfig[];
  sefaz: {
    urls: { distribuicao: string; recepcaoEvento: string };
    caFile: string | null;
    timeoutSeconds: number;
    connectTimeoutSeconds: number;
    /** SOAP action of NFeRecepcaoEvento4; null: the default */
    eventAction: string | null;
  };
  output: { dir: string } | null;
  rules: { safetyMarginSeconds: number; backoffBaseSeconds: number; backoffMaxSeconds: number; fetchFullAfterHours: number };
  daemon: { maxInFlight: number };
  log: { level: LogLevel };
  /** notified about every company */
  contacts: ContactConfig[];
  notifications: { silentDays: number; fullMissingHours: number; documentsArrived: boolean };
  http: { host: string; port: number; tokenFile: string | null; tokenCredential: string | null; auth: 'on' | 'off' };
}
