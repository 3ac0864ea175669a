import type { StoreContext } from '../context.js';
import { StoreError } from '../errors.js';

const SQL = 'SELECT ultNSU FROM companies WHERE cnpj = ?';

/** The company's stored cursor; a clear error instead of a foreign-key failure when unknown. */
export function requireCompany(ctx: StoreContext, cnpj: string, doing: string): { ultNSU: string | null } {
  const row = ctx.stmt(SQL).get(cnpj) as { ultNSU: string | null } | undefined;
  if (row === undefined) {
    throw new StoreError(
      'STORE_UNKNOWN_COMPANY',
      `cannot ${doing} for ${cnpj}: the company is not in ${ctx.file} (it is added when the configuration lists it)`,
    );
  }
  return row;
}
