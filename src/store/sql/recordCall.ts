import type { StoreContext } from '../context.js';
import type { RuleStateColumns } from '../state.js';
import type { CallRecord, GapInput, TargetedResult } from '../types.js';
import { commitDistBatch } from './commitDistBatch.js';

/**
 * An answer without documents (137, 656, a failure, a lost answer): the call is logged
 * and the state (its waits and blocks, §4.2) saved in one transaction, so a restart
 * honours every deadline the answer set.
 */
export function recordCall<S extends RuleStateColumns>(
  ctx: StoreContext,
  cnpj: string,
  state: S,
  call: CallRecord,
  gaps?: readonly GapInput[],
  targeted?: { id: number; result: TargetedResult },
): void {
  commitDistBatch(ctx, cnpj, { docs: [], state, call, ...(gaps === undefined ? {} : { gaps }), ...(targeted === undefined ? {} : { targeted }) });
}
