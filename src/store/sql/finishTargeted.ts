import type { StoreContext } from '../context.js';
import type { EpochMs, TargetedResult } from '../types.js';

const SENDING = `UPDATE targeted_queue SET state = 'sending', attempts = attempts + 1 WHERE id = ?`;
const FINISH = `
  UPDATE targeted_queue SET state = @state, cStat = coalesce(@cStat, cStat), xMotivo = coalesce(@xMotivo, xMotivo),
    meaning = coalesce(@meaning, meaning), next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
    done_at = CASE WHEN @state IN ('done', 'unavailable') THEN @at ELSE done_at END
  WHERE id = @id`;

export function markTargetedSending(ctx: StoreContext, id: number): void {
  ctx.stmt(SENDING).run(id);
}

/** Records what became of a query; back to 'pending' (with nextAttemptAt) to try it again. */
export function finishTargeted(ctx: StoreContext, id: number, result: TargetedResult, at: EpochMs): void {
  ctx.stmt(FINISH).run({
    id, at: Math.round(at), state: result.state, cStat: result.cStat ?? null, xMotivo: result.xMotivo ?? null,
    meaning: result.meaning ?? null, nextAttemptAt: result.nextAttemptAt === undefined ? null : Math.round(result.nextAttemptAt),
  });
}
