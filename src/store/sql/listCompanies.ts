import type { StoreContext } from '../context.js';
import { companyFromRow, type CompanyRow } from '../rows.js';
import type { CompanyRecord } from '../types.js';

const SQL = 'SELECT * FROM companies ORDER BY cnpj';

/** Every company the store knows, configured now or not (their documents stay). */
export function listCompanies<S>(ctx: StoreContext): CompanyRecord<S>[] {
  return (ctx.stmt(SQL).all() as CompanyRow[]).map((row) => companyFromRow<S>(row));
}
