import type { StoreContext } from '../context.js';
import { leaseFromRow, type LeaseRow } from '../rows.js';
import type { Lease } from '../types.js';

const SQL = 'SELECT * FROM leases ORDER BY cnpj';

/** Who works which company (expired leases included: compare expiresAt with the time). */
export function listLeases(ctx: StoreContext): Lease[] {
  return (ctx.stmt(SQL).all() as LeaseRow[]).map(leaseFromRow);
}
