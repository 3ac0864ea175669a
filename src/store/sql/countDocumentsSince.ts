import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

const SQL = 'SELECT count(*) FROM documents WHERE cnpj = ? AND received_at >= ?';

/** Documents stored for a company since an instant (e.g. local midnight: "documents today"). */
export function countDocumentsSince(ctx: StoreContext, cnpj: string, since: EpochMs): number {
  return ctx.stmt(SQL).pluck().get(cnpj, Math.round(since)) as number;
}
