import type { StoreContext } from '../context.js';
import { gapFromRow, type GapRow } from '../rows.js';
import type { EpochMs, Gap } from '../types.js';

const UNQUEUED = `
  SELECT g.* FROM gaps g WHERE g.cnpj = ? AND g.closed_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM targeted_queue q WHERE q.gap_id = g.id)
  ORDER BY g.from_NSU, g.id`;
const OPEN_ITEMS = `SELECT count(*) AS n FROM targeted_queue WHERE gap_id = ? AND state IN ('pending', 'sending')`;
const FETCHED = `SELECT count(*) AS n FROM targeted_queue WHERE gap_id = ? AND state = 'done'`;
const CLOSE = 'UPDATE gaps SET closed_at = ?, note = ? WHERE id = ? AND closed_at IS NULL';

const LINK = `
  UPDATE targeted_queue SET gap_id = ?
  WHERE cnpj = ? AND op = 'consNSU' AND value BETWEEN ? AND ? AND state IN ('pending', 'sending') AND gap_id IS NULL`;
const COUNT_LINKED = `SELECT count(*) AS n FROM targeted_queue WHERE gap_id = ? AND state IN ('pending', 'sending')`;

/**
 * Counts the consNSU already waiting for NSUs of the gap (queued by hand, say) as the
 * gap's own; returns how many of the gap's queries wait now.
 */
export function linkGapQueries(ctx: StoreContext, gapId: number, cnpj: string, fromNSU: string, toNSU: string): number {
  return ctx.db.transaction(() => {
    ctx.stmt(LINK).run(gapId, cnpj, fromNSU, toNSU);
    return (ctx.stmt(COUNT_LINKED).get(gapId) as { n: number }).n;
  }).immediate();
}

/** Open gaps none of whose NSUs were queued yet. */
export function gapsToQueue(ctx: StoreContext, cnpj: string): Gap[] {
  return (ctx.stmt(UNQUEUED).all(cnpj) as GapRow[]).map(gapFromRow);
}

/**
 * Closes a gap once none of its queries waits any more; returns how many of its NSUs
 * were fetched, or null while some still wait.
 */
export function closeGapIfDone(ctx: StoreContext, gapId: number, at: EpochMs): number | null {
  return ctx.db.transaction(() => {
    if ((ctx.stmt(OPEN_ITEMS).get(gapId) as { n: number }).n > 0) return null;
    const fetched = (ctx.stmt(FETCHED).get(gapId) as { n: number }).n;
    ctx.stmt(CLOSE).run(Math.round(at), `closed: ${fetched} document(s) fetched with consNSU`, gapId);
    return fetched;
  }).immediate();
}
