import { hostname } from 'node:os';
import { HOUR_MS, type CompanyState } from '../rules/state.js';
import { processIsAlive as defaultIsAlive, type CompanyRecord, type Gap, type Lease, type ProcessIsAlive, type Store } from '../store/index.js';
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
}

/** What `status` reads from the state database, once, before building the report. */
export interface StateSnapshot {
  companies: Map<string, StoredCompany>;
  /** Unexpired leases whose holder was a process of this host that is gone. */
  goneLeases: Lease[];
}

export interface SnapshotOptions {
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
    });
  }
  const wallNow = options.wallNow ?? Date.now();
  const goneLeases = store.listLeases().filter((l) => l.expiresAt > wallNow && l.host === host && !isAlive(l.pid));
  return { companies, goneLeases };
}
