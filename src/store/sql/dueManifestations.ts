import type { StoreContext } from '../context.js';
import type { EpochMs, Manifestation } from '../types.js';
import { manifestationFromRow, type ManifestationRow } from './manifestationRows.js';

const DUE = `
  SELECT * FROM manifestations WHERE cnpj = ? AND state = 'pending' AND next_attempt_at <= ?
  ORDER BY next_attempt_at, queued_at LIMIT ?`;
const NEXT = `SELECT min(next_attempt_at) AS at FROM manifestations WHERE cnpj = ? AND state = 'pending'`;

/** Events ready to send now, oldest first (at most `limit`: SEFAZ takes 20 a batch). */
export function dueManifestations(ctx: StoreContext, cnpj: string, now: EpochMs, limit: number): Manifestation[] {
  return (ctx.stmt(DUE).all(cnpj, now, limit) as ManifestationRow[]).map(manifestationFromRow);
}

/** When the next pending event may be sent, or null when none waits. */
export function nextManifestationAt(ctx: StoreContext, cnpj: string): EpochMs | null {
  return (ctx.stmt(NEXT).get(cnpj) as { at: number | null }).at;
}
