/**
 * The status report: one entry per company, from the config and a snapshot of the state
 * database. Pure. The field names are the JSON `dfe-sync status --json` prints, which
 * scripts read: rename nothing.
 */
import type { CompanyConfig, Config } from '../config/index.js';
import { describeWait } from '../rules/describe.js';
import { recoverInterruptedCall, type DistDecision } from '../rules/engine.js';
import { initialCompanyState } from '../rules/state.js';
import { ruleSettingsOf } from '../sync/context.js';
import { decisionFor } from '../sync/distStep.js';
import { periodStartDayOf } from '../limits/decide.js';
import { DEFAULT_PERIOD_START_DAY, periodOf } from '../limits/period.js';
import {
  NOT_IN_DATABASE_PROBLEM, anotherSystemProblem, recentAnotherSystem, certificateProblems, daysUntil, gapsProblem,
  goneLeaseProblem, noDatabaseProblem, silenceProblem, stoppedProblem,
} from './problems.js';
import type { StateSnapshot, StoredCompany } from './snapshot.js';

/** Why the next distNSU is when it is: the decision's reason, or what keeps the daemon away. */
export type NextReason =
  | Extract<DistDecision, { kind: 'call' }>['reason']
  | Extract<DistDecision, { kind: 'wait' }>['reason']
  | 'stopped'
  | 'suspended'
  | 'disabled'
  | 'not-in-config';

export interface CompanyStatus {
  cnpj: string;
  name: string;
  enabled: boolean;
  /** false for a CNPJ the database keeps but the config no longer names. */
  inConfig: boolean;
  window: string;
  ultNSU: string | null;
  maxNSU: string | null;
  documents: number;
  lastCallAt: string | null;
  lastOp: string | null;
  lastCStat: string | null;
  lastXMotivo: string | null;
  /** The failure's code when the last call got no answer. */
  lastError: string | null;
  /** When the next distNSU may go: now, a later instant, or null (stopped, never, not queried). */
  nextDistAt: string | null;
  /** The decision in words. */
  next: string;
  nextReason: NextReason;
  /** Only while in the future. */
  blockedUntil: string | null;
  certificateCnpj: string | null;
  certificateNotAfter: string | null;
  certificateDaysLeft: number | null;
  anotherSystem: boolean;
  /** Open gaps: NSUs another system took, still to fetch. */
  gaps: { fromNSU: string; toNSU: string }[];
  /** Targeted queries (consChNFe/consNSU) waiting for the hourly budget. */
  queue: number;
  /** consChNFe/consNSU sent in the last rolling hour (SEFAZ allows 20). */
  targetedCallsLastHour: number;
  /** Keys whose summary is stored but not the full XML (`dfe-sync pending` says why). */
  summariesPending: number;
  /** Documents stored since local midnight. */
  documentsToday: number;
  /** SEFAZ calls in the current billing period, against the monthly limit when there is one. */
  monthlyUsage: { calls: number; limit: number | null; periodStart: string; periodEnd: string };
  /** Capture suspended (monthly limit reached) until `dfe-sync reactivate`, or null. */
  suspended: { since: string; reason: string } | null;
  problems: string[];
}

export interface StatusReport {
  generatedAt: string;
  config: string;
  stateDir: string;
  environment: string;
  timezone: string;
  database: string;
  companies: CompanyStatus[];
}

const iso = (at: number | null | undefined): string | null => (at === null || at === undefined ? null : new Date(at).toISOString());

function storedFields(stored: StoredCompany | undefined, now: number) {
  const r = stored?.record;
  const cert = r?.certificate ?? null;
  const state = r?.state;
  return {
    ultNSU: r?.ultNSU ?? null,
    maxNSU: r?.maxNSU ?? null,
    documents: r?.documents ?? 0,
    lastCallAt: iso(r?.lastCall?.at),
    lastOp: r?.lastCall?.op ?? null,
    lastCStat: r?.lastCall?.cStat ?? null,
    lastXMotivo: r?.lastCall?.xMotivo ?? null,
    lastError: r?.lastCall?.error ?? null,
    blockedUntil: r?.blockedUntil !== null && r?.blockedUntil !== undefined && r.blockedUntil > now ? iso(r.blockedUntil) : null,
    certificateCnpj: cert?.cnpj ?? null,
    certificateNotAfter: iso(cert?.notAfter),
    certificateDaysLeft: cert === null ? null : daysUntil(cert.notAfter, now),
    anotherSystem: recentAnotherSystem(state?.anotherSystem, now) !== null,
    gaps: (stored?.openGaps ?? []).map((g) => ({ fromNSU: g.fromNSU, toNSU: g.toNSU })),
    queue: stored?.queue ?? 0,
    targetedCallsLastHour: stored?.targetedCallsLastHour ?? 0,
    summariesPending: stored?.summariesPending ?? 0,
    documentsToday: stored?.documentsToday ?? 0,
    suspended: stored?.suspension == null ? null : { since: iso(stored.suspension.suspendedAt)!, reason: stored.suspension.reason },
  };
}

function usageOf(config: Config, company: CompanyConfig | null, stored: StoredCompany | undefined, now: number): CompanyStatus['monthlyUsage'] {
  const period = periodOf(now, company === null ? DEFAULT_PERIOD_START_DAY : periodStartDayOf(company), config.timezone);
  return { calls: stored?.callsThisPeriod ?? 0, limit: company?.monthlyLimit?.calls ?? null, periodStart: period.start, periodEnd: period.end };
}

function nextOf(config: Config, company: CompanyConfig, stored: StoredCompany | undefined, now: number) {
  if (!company.enabled) {
    return { nextDistAt: null, next: 'disabled in the config (enabled: false): no SEFAZ calls', nextReason: 'disabled' as const };
  }
  const suspension = stored?.suspension ?? null;
  if (suspension !== null) {
    return {
      nextDistAt: null,
      next: `suspended since ${new Date(suspension.suspendedAt).toISOString()}: ${suspension.reason}`,
      nextReason: 'suspended' as const,
    };
  }
  // The daemon's own decision, so that status and the daemon never disagree.
  // A call a crash left in flight is, to the daemon's next step, an answer lost after
  // sending: show that, not "call in flight" forever.
  const saved = stored?.record.state ?? initialCompanyState();
  const state = recoverInterruptedCall(saved, now, ruleSettingsOf(config, company.targetedPerHour), () => 0.5).state;
  const decision = decisionFor(config, company, state, stored?.record.certificate?.notAfter ?? null, now);
  const next = describeWait(decision, { now, timeZone: config.timezone });
  switch (decision.kind) {
    case 'call':
      return { nextDistAt: iso(now), next, nextReason: decision.reason };
    case 'wait':
      return { nextDistAt: iso(decision.until), next, nextReason: decision.reason };
    case 'stopped':
      return { nextDistAt: null, next, nextReason: 'stopped' as const };
  }
}

function problemsOf(
  company: CompanyConfig,
  stored: StoredCompany | undefined,
  snapshot: StateSnapshot | null,
  database: string,
  now: number,
  timeZone: string,
): string[] {
  if (snapshot === null) return [noDatabaseProblem(database)];
  if (stored === undefined) return [NOT_IN_DATABASE_PROBLEM];
  const { record, openGaps, lastSuccessAt } = stored;
  const w = { now, timeZone };
  const problems = [
    stoppedProblem(record.state.stopped ?? null),
    stored.suspension === null ? null : `capture suspended since ${new Date(stored.suspension.suspendedAt).toISOString()}: ${stored.suspension.reason}; run dfe-sync reactivate --cnpj ${company.cnpj} to resume`,
    anotherSystemProblem(record.state.anotherSystem ?? null, w),
    gapsProblem(openGaps, company.targetedPerHour),
    ...certificateProblems(record, company, w),
    company.enabled ? silenceProblem(record, lastSuccessAt, w) : null,
    ...snapshot.goneLeases.filter((l) => l.cnpj === company.cnpj).map(goneLeaseProblem),
  ];
  return problems.filter((p): p is string => p !== null);
}

export function buildStatusReport(config: Config, snapshot: StateSnapshot | null, database: string, now: number): StatusReport {
  const configured = new Set(config.companies.map((c) => c.cnpj));
  const companies: CompanyStatus[] = config.companies.map((company) => {
    const stored = snapshot?.companies.get(company.cnpj);
    return {
      cnpj: company.cnpj,
      name: company.name,
      enabled: company.enabled,
      inConfig: true,
      window: company.window.text,
      ...storedFields(stored, now),
      monthlyUsage: usageOf(config, company, stored, now),
      ...nextOf(config, company, stored, now),
      problems: problemsOf(company, stored, snapshot, database, now, config.timezone),
    };
  });
  for (const [cnpj, stored] of snapshot?.companies ?? []) {
    if (configured.has(cnpj)) continue;
    companies.push({
      cnpj,
      name: stored.record.name,
      enabled: false,
      inConfig: false,
      window: stored.record.window,
      ...storedFields(stored, now),
      monthlyUsage: usageOf(config, null, stored, now),
      nextDistAt: null,
      next: 'not in config: dfe-sync no longer queries this CNPJ (its stored documents are kept)',
      nextReason: 'not-in-config',
      problems: [],
    });
  }
  return {
    generatedAt: new Date(now).toISOString(),
    config: config.file,
    stateDir: config.stateDir,
    environment: config.environment,
    timezone: config.timezone,
    database,
    companies,
  };
}
