import type { StoreContext } from '../context.js';
import type { LeaseHolder } from '../types.js';

const ONE = 'DELETE FROM leases WHERE cnpj = ? AND holder_id = ?';
const ALL = 'DELETE FROM leases WHERE holder_id = ?';

/** Gives back the holder's leases on these companies (all of them when omitted); returns how many. */
export function releaseLeases(ctx: StoreContext, holder: LeaseHolder, cnpjs?: readonly string[]): number {
  if (cnpjs === undefined) return ctx.stmt(ALL).run(holder.id).changes;
  return ctx.db
    .transaction(() => cnpjs.reduce((released, cnpj) => released + ctx.stmt(ONE).run(cnpj, holder.id).changes, 0))
    .immediate();
}
