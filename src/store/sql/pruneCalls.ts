import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

const SQL = 'DELETE FROM calls WHERE at < ?';

/** Drops call-log entries older than `before` (e.g. now − 30 days); returns how many. */
export function pruneCalls(ctx: StoreContext, before: EpochMs): number {
  return ctx.stmt(SQL).run(before).changes;
}
