import type { TargetedItem, TargetedOp, TargetedReason, TargetedState } from '../types.js';

export interface TargetedRow {
  id: number;
  cnpj: string;
  op: string;
  value: string;
  reason: string;
  gap_id: number | null;
  state: string;
  cStat: string | null;
  xMotivo: string | null;
  meaning: string | null;
  attempts: number;
  next_attempt_at: number;
  queued_at: number;
  done_at: number | null;
}

export function targetedFromRow(r: TargetedRow): TargetedItem {
  return {
    id: r.id,
    cnpj: r.cnpj,
    op: r.op as TargetedOp,
    value: r.value,
    reason: r.reason as TargetedReason,
    gapId: r.gap_id,
    state: r.state as TargetedState,
    cStat: r.cStat,
    xMotivo: r.xMotivo,
    meaning: r.meaning,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    queuedAt: r.queued_at,
    doneAt: r.done_at,
  };
}
