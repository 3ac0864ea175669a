import type { StoreContext } from '../context.js';
import type { CallOp, EpochMs, StoredCall } from '../types.js';

const SQL = `
  SELECT id, cnpj, at, op, request_NSU, request_chNFe, cStat, xMotivo, ultNSU, maxNSU, docs, ms, error
  FROM calls WHERE cnpj = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?`;

interface CallRow {
  id: number;
  cnpj: string;
  at: number;
  op: string;
  request_NSU: string | null;
  request_chNFe: string | null;
  cStat: string | null;
  xMotivo: string | null;
  ultNSU: string | null;
  maxNSU: string | null;
  docs: number;
  ms: number;
  error: string | null;
}

/** The company's call log, newest first. */
export function listCalls(
  ctx: StoreContext,
  cnpj: string,
  options: { since?: EpochMs; limit?: number } = {},
): StoredCall[] {
  const rows = ctx.stmt(SQL).all(cnpj, options.since ?? 0, options.limit ?? -1) as CallRow[];
  return rows.map((r) => ({
    id: r.id,
    cnpj: r.cnpj,
    at: r.at,
    op: r.op as CallOp,
    requestNSU: r.request_NSU,
    requestChNFe: r.request_chNFe,
    cStat: r.cStat,
    xMotivo: r.xMotivo,
    ultNSU: r.ultNSU,
    maxNSU: r.maxNSU,
    docs: r.docs,
    ms: r.ms,
    error: r.error,
  }));
}
