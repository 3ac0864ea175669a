import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

const SQL = `
  SELECT DISTINCT m.chNFe FROM manifestations m
  WHERE m.cnpj = ? AND m.tpEvento IN ('210210', '210200') AND m.state = 'done' AND m.done_at <= ?
    AND NOT EXISTS (SELECT 1 FROM documents p WHERE p.cnpj = m.cnpj AND p.chNFe = m.chNFe AND p.kind = 'procNFe')
    AND NOT EXISTS (SELECT 1 FROM targeted_queue q WHERE q.cnpj = m.cnpj AND q.op = 'consChNFe' AND q.value = m.chNFe)
  ORDER BY m.done_at
  LIMIT ?`;

/**
 * Keys whose Ciência/Confirmação was registered before `registeredBefore` and whose full
 * NF-e has not arrived through distNSU, never fetched by key yet.
 */
export function keysMissingFull(ctx: StoreContext, cnpj: string, registeredBefore: EpochMs, limit: number): string[] {
  return (ctx.stmt(SQL).all(cnpj, Math.round(registeredBefore), limit) as { chNFe: string }[]).map((r) => r.chNFe);
}
