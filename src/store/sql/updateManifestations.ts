import type { StoreContext } from '../context.js';
import type { EpochMs, EventCode, ManifestationResult } from '../types.js';

export interface ManifestationKey {
  chNFe: string;
  tpEvento: EventCode;
  nSeqEvento: number;
}

const WHERE = 'WHERE cnpj = @cnpj AND chNFe = @chNFe AND tpEvento = @tpEvento AND nSeqEvento = @nSeqEvento';
const SENDING = `UPDATE manifestations SET state = 'sending', attempts = attempts + 1, sent_at = @at ${WHERE}`;
const FINISH = `
  UPDATE manifestations SET state = @state, outcome = coalesce(@outcome, outcome), cStat = coalesce(@cStat, cStat),
    xMotivo = coalesce(@xMotivo, xMotivo), nProt = coalesce(@nProt, nProt), dhRegEvento = coalesce(@dhRegEvento, dhRegEvento),
    next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
    done_at = CASE WHEN @state IN ('done', 'failed') THEN @at ELSE done_at END
  ${WHERE}`;

/** Marks events as being sent, before the request leaves: a crash then shows them in flight. */
export function markManifestationsSending(ctx: StoreContext, cnpj: string, keys: readonly ManifestationKey[], at: EpochMs): void {
  ctx.db.transaction(() => {
    for (const k of keys) ctx.stmt(SENDING).run({ cnpj, ...k, at: Math.round(at) });
  }).immediate();
}

/** Records what became of events: each with its own result, in one transaction. */
export function finishManifestations(
  ctx: StoreContext,
  cnpj: string,
  results: readonly { key: ManifestationKey; result: ManifestationResult }[],
  at: EpochMs,
): void {
  ctx.db.transaction(() => {
    for (const { key, result } of results) {
      ctx.stmt(FINISH).run({
        cnpj, ...key, at: Math.round(at), state: result.state, outcome: result.outcome ?? null, cStat: result.cStat ?? null,
        xMotivo: result.xMotivo ?? null, nProt: result.nProt ?? null, dhRegEvento: result.dhRegEvento ?? null,
        nextAttemptAt: result.nextAttemptAt === undefined ? null : Math.round(result.nextAttemptAt),
      });
    }
  }).immediate();
}
