import type { StoreContext } from '../context.js';
import { StoreError } from '../errors.js';
import type { CertificateFactsRecord } from '../types.js';

const SQL = `
  UPDATE companies SET cert_cnpj = ?, cert_subject = ?, cert_not_after = ?, cert_file = ?, cert_mtime = ?,
    cert_saved_at = ?, updated_at = ?
  WHERE cnpj = ?`;

/** What `status` and `doctor` show about a certificate without its password. */
export function saveCertificateFacts(ctx: StoreContext, cnpj: string, facts: CertificateFactsRecord): void {
  const now = ctx.clock.now();
  const result = ctx.stmt(SQL).run(facts.cnpj, facts.subject, Math.round(facts.notAfter), facts.file, facts.mtimeMs, now, now, cnpj);
  if (result.changes === 0) {
    throw new StoreError('STORE_UNKNOWN_COMPANY', `cannot save certificate facts for ${cnpj}: the company is not in ${ctx.file}`);
  }
}
