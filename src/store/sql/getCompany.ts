import type { StoreContext } from '../context.js';
import { companyFromRow, type CompanyRow } from '../rows.js';
import type { CompanyRecord } from '../types.js';

const SQL = 'SELECT * FROM companies WHERE cnpj = ?';

export function getCompany<S>(ctx: StoreContext, cnpj: string): CompanyRecord<S> | null {
  const row = ctx.stmt(SQL).get(cnpj) as CompanyRow | undefined;
  return row === undefined ? null : companyFromRow<S>(row);
}
