import type { StoreContext } from '../context.js';
import type { EpochMs, TargetedItem } from '../types.js';
import { targetedFromRow, type TargetedRow } from './targetedRows.js';

const DUE = `SELECT * FROM targeted_queue WHERE cnpj = ? AND state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 1`;
const NEXT = `SELECT min(next_attempt_at) AS at FROM targeted_queue WHERE cnpj = ? AND state = 'pending'`;
const COUNT = `SELECT count(*) AS n FROM targeted_queue WHERE cnpj = ? AND state IN ('pending', 'sending')`;

/** The oldest query ready to go now (gaps are queued oldest NSU first, so they close in order). */
export function nextTargeted(ctx: StoreContext, cnpj: string, now: EpochMs): TargetedItem | null {
  const row = ctx.stmt(DUE).get(cnpj, now) as TargetedRow | undefined;
  return row === undefined ? null : targetedFromRow(row);
}

/** When the next waiting query may go, or null when none waits. */
export function nextTargetedAt(ctx: StoreContext, cnpj: string): EpochMs | null {
  return (ctx.stmt(NEXT).get(cnpj) as { at: number | null }).at;
}

/** Queries waiting (or in flight) for a company. */
export function countTargetedQueued(ctx: StoreContext, cnpj: string): number {
  return (ctx.stmt(COUNT).get(cnpj) as { n: number }).n;
}
