import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

const SQL = 'UPDATE gaps SET closed_at = ?, note = coalesce(?, note) WHERE id = ? AND closed_at IS NULL';

/** Marks a gap as filled (or given up, with a note saying why); false when it was not open. */
export function closeGap(ctx: StoreContext, id: number, options: { at?: EpochMs; note?: string } = {}): boolean {
  return ctx.stmt(SQL).run(Math.round(options.at ?? ctx.clock.now()), options.note ?? null, id).changes === 1;
}
