import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

const SQL = 'SELECT at FROM targeted_calls WHERE cnpj = ? AND at >= ? ORDER BY at';

/** Times of the company's consNSU/consChNFe calls at or after `since`, oldest first. */
export function targetedCallsSince(ctx: StoreContext, cnpj: string, since: EpochMs): EpochMs[] {
  return ctx.stmt(SQL).pluck().all(cnpj, since) as EpochMs[];
}
