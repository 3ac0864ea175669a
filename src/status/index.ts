import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { periodStartDayOf } from '../limits/decide.js';
import { periodOf, startOfLocalDay } from '../limits/period.js';
import { stateDbPath } from '../store/index.js';
import { openStateReadOnly } from './readOnlyStore.js';
import { buildStatusReport, type StatusReport } from './report.js';
import { readSnapshot, type SnapshotOptions } from './snapshot.js';

export { buildStatusReport, type CompanyStatus, type NextReason, type StatusReport } from './report.js';
export { formatStatusTable } from './table.js';
export { openStateReadOnly } from './readOnlyStore.js';
export { readSnapshot, type StateSnapshot, type StoredCompany } from './snapshot.js';

/**
 * The status of every company, read from the state database without changing it (and
 * without creating it when the daemon has not run yet). Needs no certificate password.
 */
export function statusOf(config: Config, clock: Clock, options: SnapshotOptions = {}): StatusReport {
  const database = stateDbPath(config.stateDir);
  const now = clock.now();
  const store = openStateReadOnly(database);
  try {
    const periods = new Map(config.companies.map((c) => [c.cnpj, periodOf(now, periodStartDayOf(c), config.timezone).start]));
    const snapshot = store === null ? null : readSnapshot(store, now, {
      dayStart: startOfLocalDay(now, config.timezone),
      periodStartOf: (cnpj) => periods.get(cnpj) ?? null,
      ...options,
    });
    return buildStatusReport(config, snapshot, database, now);
  } finally {
    store?.close();
  }
}
