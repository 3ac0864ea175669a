import type { StoreContext } from '../context.js';
import type { EpochMs, ManifestationInput } from '../types.js';
import { requireCompany } from './requireCompany.js';

const INSERT = `
  INSERT OR IGNORE INTO manifestations (cnpj, chNFe, tpEvento, nSeqEvento, xJust, origin, state, next_attempt_at, queued_at)
  VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`;

/**
 * Queues events to send; one already queued or sent for the same key, type and sequence
 * is left as it is (never manifest twice). Returns how many were new.
 */
export function queueManifestations(ctx: StoreContext, cnpj: string, inputs: readonly ManifestationInput[], at: EpochMs = ctx.clock.now()): number {
  return ctx.db.transaction(() => {
    requireCompany(ctx, cnpj, 'queue a manifestation');
    let added = 0;
    for (const m of inputs) {
      added += ctx.stmt(INSERT).run(cnpj, m.chNFe, m.tpEvento, m.nSeqEvento ?? 1, m.xJust ?? null, m.origin, Math.round(at), Math.round(at)).changes;
    }
    return added;
  }).immediate();
}
