import type { StoreContext } from '../context.js';
import { StoreError } from '../errors.js';
import { SET_STATE_COLUMNS, stateColumns, type RuleStateColumns } from '../state.js';
import { requireCompany } from './requireCompany.js';

const SQL = `UPDATE companies SET ${SET_STATE_COLUMNS}, updated_at = @now WHERE cnpj = @cnpj`;

/**
 * Saves a state change that comes with no answer (e.g. marking a distNSU in flight
 * before sending it, or a stop found before calling). The cursor moves only with the
 * documents of an answer (commitDistBatch), so a state with another ultNSU is refused.
 */
export function saveState<S extends RuleStateColumns>(ctx: StoreContext, cnpj: string, state: S): void {
  const columns = stateColumns(cnpj, state);
  ctx.db
    .transaction(() => {
      const stored = requireCompany(ctx, cnpj, 'save the state');
      if (columns.ultNSU !== stored.ultNSU) {
        throw new StoreError(
          'STORE_STATE_MOVED_CURSOR',
          `refusing to move the ultNSU of ${cnpj} from ${stored.ultNSU ?? 'none'} to ${columns.ultNSU ?? 'none'} without an answer: ` +
            'the cursor moves only with the documents of a distNSU answer (a bug in the caller, nothing was saved)',
        );
      }
      ctx.stmt(SQL).run({ cnpj, ...columns, now: ctx.clock.now() });
    })
    .immediate();
}
