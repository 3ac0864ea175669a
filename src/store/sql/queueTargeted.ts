import type { StoreContext } from '../context.js';
import type { EpochMs, TargetedInput } from '../types.js';
import { requireCompany } from './requireCompany.js';

const INSERT = `
  INSERT OR IGNORE INTO targeted_queue (cnpj, op, value, reason, gap_id, state, next_attempt_at, queued_at)
  VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`;

/**
 * Queues consChNFe/consNSU queries; one already waiting for the same key or NSU is not
 * queued twice. Returns the ids of the new ones.
 */
export function queueTargeted(ctx: StoreContext, cnpj: string, inputs: readonly TargetedInput[], at: EpochMs = ctx.clock.now()): number[] {
  return ctx.db.transaction(() => {
    requireCompany(ctx, cnpj, 'queue a targeted query');
    const ids: number[] = [];
    for (const t of inputs) {
      const r = ctx.stmt(INSERT).run(cnpj, t.op, t.value, t.reason, t.gapId ?? null, Math.round(at), Math.round(at));
      if (r.changes === 1) ids.push(Number(r.lastInsertRowid));
    }
    return ids;
  }).immediate();
}
