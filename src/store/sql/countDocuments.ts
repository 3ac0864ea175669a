import type { StoreContext } from '../context.js';

const ALL = 'SELECT count(*) FROM documents';
const OF_COMPANY = 'SELECT count(*) FROM documents WHERE cnpj = ?';

/** Counted from the rows themselves (CompanyRecord.documents is the cheap running total). */
export function countDocuments(ctx: StoreContext, cnpj?: string): number {
  return (cnpj === undefined ? ctx.stmt(ALL).pluck().get() : ctx.stmt(OF_COMPANY).pluck().get(cnpj)) as number;
}
