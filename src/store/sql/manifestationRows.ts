import type { EventCode, Manifestation, ManifestationState } from '../types.js';

export interface ManifestationRow {
  cnpj: string;
  chNFe: string;
  tpEvento: string;
  nSeqEvento: number;
  xJust: string | null;
  origin: string;
  state: string;
  outcome: string | null;
  cStat: string | null;
  xMotivo: string | null;
  nProt: string | null;
  dhRegEvento: string | null;
  attempts: number;
  next_attempt_at: number;
  queued_at: number;
  sent_at: number | null;
  done_at: number | null;
}

export function manifestationFromRow(r: ManifestationRow): Manifestation {
  return {
    cnpj: r.cnpj,
    chNFe: r.chNFe,
    tpEvento: r.tpEvento as EventCode,
    nSeqEvento: r.nSeqEvento,
    xJust: r.xJust,
    origin: r.origin as 'auto' | 'manual',
    state: r.state as ManifestationState,
    outcome: r.outcome,
    cStat: r.cStat,
    xMotivo: r.xMotivo,
    nProt: r.nProt,
    dhRegEvento: r.dhRegEvento,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    queuedAt: r.queued_at,
    sentAt: r.sent_at,
    doneAt: r.done_at,
  };
}
