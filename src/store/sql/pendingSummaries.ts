import type { StoreContext } from '../context.js';
import type { EventCode, ManifestationState, PendingSummary, TargetedState } from '../types.js';

const SQL = `
  SELECT r.cnpj, r.chNFe, r.emitter_name, r.vNF, r.dhEmi, r.cSitNFe, min(r.received_at) AS received_at,
    m.tpEvento, m.state AS m_state, m.outcome, m.cStat AS m_cStat, m.xMotivo AS m_xMotivo, m.nProt, m.done_at,
    (SELECT q.state || char(31) || coalesce(q.cStat, '') || char(31) || coalesce(q.meaning, '') FROM targeted_queue q
       WHERE q.cnpj = r.cnpj AND q.op = 'consChNFe' AND q.value = r.chNFe ORDER BY q.id DESC LIMIT 1) AS fetch
  FROM documents r
  LEFT JOIN manifestations m ON m.cnpj = r.cnpj AND m.chNFe = r.chNFe AND m.tpEvento IN ('210210', '210200')
  WHERE r.kind = 'resNFe' AND r.chNFe IS NOT NULL AND (@cnpj IS NULL OR r.cnpj = @cnpj)
    AND NOT EXISTS (SELECT 1 FROM documents p WHERE p.cnpj = r.cnpj AND p.chNFe = r.chNFe AND p.kind = 'procNFe')
  GROUP BY r.cnpj, r.chNFe
  ORDER BY r.cnpj, received_at, r.chNFe`;
const COUNT = `
  SELECT count(DISTINCT r.chNFe) AS n FROM documents r
  WHERE r.cnpj = ? AND r.kind = 'resNFe' AND r.chNFe IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM documents p WHERE p.cnpj = r.cnpj AND p.chNFe = r.chNFe AND p.kind = 'procNFe')`;

interface Row {
  cnpj: string;
  chNFe: string;
  emitter_name: string | null;
  vNF: string | null;
  dhEmi: string | null;
  cSitNFe: string | null;
  received_at: number;
  tpEvento: string | null;
  m_state: string | null;
  outcome: string | null;
  m_cStat: string | null;
  m_xMotivo: string | null;
  nProt: string | null;
  done_at: number | null;
  fetch: string | null;
}

/** Keys whose summary is stored but not the full NF-e, with what was done about each. */
export function pendingSummaries(ctx: StoreContext, cnpj?: string): PendingSummary[] {
  return (ctx.stmt(SQL).all({ cnpj: cnpj ?? null }) as Row[]).map((r) => {
    const [fState, fCStat, fMeaning] = r.fetch === null ? [] : r.fetch.split('\u001f');
    return {
      cnpj: r.cnpj,
      chNFe: r.chNFe,
      emitterName: r.emitter_name,
      vNF: r.vNF,
      dhEmi: r.dhEmi,
      cSitNFe: r.cSitNFe,
      receivedAt: r.received_at,
      manifestation: r.m_state === null ? null : {
        tpEvento: r.tpEvento as EventCode,
        state: r.m_state as ManifestationState,
        outcome: r.outcome, cStat: r.m_cStat, xMotivo: r.m_xMotivo, nProt: r.nProt, doneAt: r.done_at,
      },
      fetch: r.fetch === null ? null : {
        state: fState as TargetedState,
        cStat: fCStat || null,
        meaning: fMeaning || null,
      },
    };
  });
}

/** How many keys of a company still have only their summary. */
export function countPendingSummaries(ctx: StoreContext, cnpj: string): number {
  return (ctx.stmt(COUNT).get(cnpj) as { n: number }).n;
}
