import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { CompanyState, RuleSettings } from '../rules/state.js';
import type { Store } from '../store/index.js';
import type { SoapTransport } from '../transport/soapTransport.js';
import type { Notify } from '../notify/notify.js';
import type { CertificateCache } from './certificates.js';

/** Everything one company's worker needs; the daemon and `run --once` build it once. */
export interface SyncContext {
  config: Config;
  store: Store<CompanyState>;
  /** only post() is used: the company step wraps it to count calls against the billing period */
  transport: Pick<SoapTransport, 'post'>;
  certificates: CertificateCache;
  clock: Clock;
  logger: Logger;
  random: () => number;
  /** where each committed document is also written as a file (`output.dir`), or null */
  outputDir: string | null;
  /** tells the operators (stored once, delivered by the notification worker) */
  notify: Notify;
  /** counters for /metrics, when the daemon serves them */
  metrics?: CallMetrics;
}

/** What the sync steps report to /metrics. */
export interface CallMetrics {
  recordCall(op: string, cStat: string | null): void;
  recordDocuments(kind: string, n: number): void;
  record656(cnpj: string): void;
}

/** Counts one call's outcome and the documents it stored. */
export function observeCall(ctx: SyncContext, cnpj: string, op: string, cStat: string | null, stored: readonly { kind: string }[] = []): void {
  const m = ctx.metrics;
  if (m === undefined) return;
  m.recordCall(op, cStat);
  if (cStat === '656') m.record656(cnpj);
  const kinds = new Map<string, number>();
  for (const d of stored) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
  for (const [kind, n] of kinds) m.recordDocuments(kind, n);
}

/** Rule settings from the config's `rules` section and a company's budget. */
export function ruleSettingsOf(config: Config, targetedPerHour: number): RuleSettings {
  return {
    safetyMarginMs: config.rules.safetyMarginSeconds * 1000,
    backoffBaseMs: config.rules.backoffBaseSeconds * 1000,
    backoffMaxMs: config.rules.backoffMaxSeconds * 1000,
    targetedPerHour,
  };
}
