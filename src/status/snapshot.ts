import { hostname } from 'node:os';
import { HOUR_MS, type CompanyState } from '../rules/state.js';
import { processIsAlive as defaultIsAlive, type CompanyRecord, type Gap, type Lease, type ProcessIsAlive, type Store, type Suspension } from '../store/index.js';
import { DAY_MS, SILENCE_WARN_DAYS } from './problems.js';

const ANSWERED = new Set(['137', '138']);

export interface StoredCompany {
  record: CompanyRecord<CompanyState>;
  openGaps: Gap[];
  /** The latest 137/138 answer of the last SILENCE_WARN_DAYS days, or null. */
  lastSuccessAt: number | null;
  /** consChNFe/consNSU waiting (or in flight). */
  queue: number;
  /** consChNFe/consNSU sent in the rolling hour before `now`. */
  targetedCallsLastHour: number;
  /** Summaries (resNFe) whose full NF-e is not stored. */
  summariesPending: number;
  /** Documents stored since local midnight. */
  documentsToday: number;
  /** SEFAZ calls in the company's current billing period. */
  callsThisPeriod: number;
  suspension: Suspension | null;
}

/** What `status` reads from the state database, once, before building the report. */
export interface StateSnapshot {
  companies: Map<string, StoredCompany>;
  /** Unexpired leases whose holder was a process of this host that is gone. */
  goneLeases: Lease[];
}

export interface SnapshotOptions {
  /** the instant the local day began, for "documents today" (default: 24 h before now) */
  dayStart?: number;
  /** each company's current billing period start ('YYYY-MM-DD'), for its usage */
  periodStartOf?: (cnpj: string) => string | null;
  host?: string;
  processIsAlive?: ProcessIsAlive;
  /** Leases run on the wall clock, whatever clock the report is built with. */
  wallNow?: number;
}

function lastSuccessAt(store: Store<CompanyState>, record: CompanyRecord<CompanyState>, now: number): number | null {
  const last = record.lastCall;
  if (last === null) return null;
  if (last.cStat !== null && ANSWERED.has(last.cStat)) return last.at;
  const since = now - SILENCE_WARN_DAYS * DAY_MS;
  // Only a company whose last call failed needs its log read: most never get here.
  if (last.at < since) return null;
  const answered = store.listCalls(record.cnpj, { since }).find((c) => c.cStat !== null && ANSWERED.has(c.cStat));
  return answered?.at ?? null;
}

function usageIn(store: Store<CompanyState>, cnpj: string, periodStart: string | null): number {
  return periodStart === null ? 0 : store.usageOf(cnpj, periodStart);
}

export function readSnapshot(store: Store<CompanyState>, now: number, options: SnapshotOptions = {}): StateSnapshot {
  const host = options.host ?? hostname();
  const isAlive = options.processIsAlive ?? defaultIsAlive;
  const companies = new Map<string, StoredCompany>();
  for (const record of store.listCompanies()) {
    companies.set(record.cnpj, {
      record,
      openGaps: store.listGaps(record.cnpj, { openOnly: true }),
      lastSuccessAt: lastSuccessAt(store, record, now),
      queue: store.countTargetedQueued(record.cnpj),
      targetedCallsLastHour: store.targetedCallsSince(record.cnpj, now - HOUR_MS + 1).length,
      summariesPending: store.countPendingSummaries(record.cnpj),
      documentsToday: store.countDocumentsSince(record.cnpj, options.dayStart ?? now - 24 * HOUR_MS),
      callsThisPeriod: usageIn(store, record.cnpj, options.periodStartOf?.(record.cnpj) ?? null),
      suspension: store.suspensionOf(record.cnpj),
    });
  }
  const wallNow = options.wallNow ?? Date.now();
  const goneLeases = store.listLeases().filter((l) => l.expiresAt > wallNow && l.host === host && !isAlive(l.pid));
  return { companies, goneLeases };
}
