/**
 * The keys whose summary (resNFe) is stored but not the full NF-e (procNFe), and why
 * each is still waiting, in words an accountant can act on. `pendingKeyOf` decides,
 * purely; `pendingReport` reads the state database without changing it.
 */
import type { Clock } from '../clock.js';
import type { CompanyConfig, Config } from '../config/index.js';
import { describeCStat } from '../sefaz/catalog.js';
import { stateDbPath, type Manifestation, type PendingSummary } from '../store/index.js';
import { EVENT_LABELS, eventName, manifestationWords } from './manifestation.js';
import type { When } from './problems.js';
import { openStateReadOnly } from './readOnlyStore.js';

/** Why a key has no full XML yet. Stable: `pending --json` prints it for scripts. */
export type PendingSituation =
  /** no Ciência/Confirmação was ever queued for it */
  | 'summary-only'
  | 'manifestation-queued'
  /** registered: the full XML arrives later as a new NSU */
  | 'manifestation-sent'
  | 'rejected'
  | 'out-of-deadline'
  /** the summary says so (cSitNFe 3 / 2) */
  | 'cancelled'
  | 'denied'
  /** SEFAZ refused the event with 650/651, which does not tell which */
  | 'cancelled-or-denied'
  | 'fetch-queued'
  /** the consChNFe for it was answered 632, 640, 641, 653, 654, 137… */
  | 'fetch-unavailable';

export interface PendingKey {
  cnpj: string;
  chNFe: string;
  emitterName: string | null;
  vNF: string | null;
  dhEmi: string | null;
  cSitNFe: string | null;
  summaryReceivedAt: string;
  situation: PendingSituation;
  /** The situation in a sentence, with what to do when something can be done. */
  reason: string;
  manifestation: {
    event: string;
    tpEvento: string;
    state: string;
    outcome: string | null;
    cStat: string | null;
    xMotivo: string | null;
    nProt: string | null;
    doneAt: string | null;
  } | null;
  fetch: { state: string; cStat: string | null; meaning: string | null } | null;
}

export interface PendingReport {
  generatedAt: string;
  config: string;
  database: string;
  /** false when the daemon has not run yet (no database): nothing can be pending */
  databaseFound: boolean;
  total: number;
  bySituation: Partial<Record<PendingSituation, number>>;
  keys: PendingKey[];
}

const iso = (at: number | null): string | null => (at === null ? null : new Date(at).toISOString());

/** The hint for a key nobody manifested; `asked`: a consChNFe already got the summary again. */
function summaryOnlyReason(s: PendingSummary, company: CompanyConfig | undefined, others: readonly Manifestation[], w: When): string {
  const send = `dfe-sync manifest --cnpj ${s.cnpj} --key ${s.chNFe} --event ciencia`;
  const asked = s.fetch?.state === 'done' ? ' (a consChNFe for it was answered with the summary again)' : '';
  if (others.length > 0) {
    const said = others.map((m) => `${EVENT_LABELS[m.tpEvento]} ${manifestationWords(m, w)}`).join('; ');
    return `no Ciência or Confirmação da Operação, which SEFAZ needs before it releases the full XML${asked}: ${said}`;
  }
  if (company === undefined) return `summary only: no manifestation${asked}, and the company is no longer in the config`;
  const why = company.manifest === 'off'
    ? 'manifest: off for this company'
    : 'it arrived while manifest was off, or before the NF-e was authorized';
  return `summary only: no manifestation (${why})${asked}; SEFAZ releases the full XML after one: ${send}`;
}

/**
 * Why the key waits. The strongest fact wins: the NF-e's own situation, then a final
 * answer to a consChNFe, then a refused event, then work still queued, then a registered
 * event whose full XML has not come yet, then nothing done at all.
 */
export function pendingKeyOf(
  s: PendingSummary,
  company: CompanyConfig | undefined,
  others: readonly Manifestation[],
  w: When & { fetchFullAfterHours: number },
): PendingKey {
  const m = s.manifestation;
  const label = m === null ? '' : EVENT_LABELS[m.tpEvento];
  const said = m === null ? '' : `${label} ${manifestationWords(m, w)}`;
  const decide = (): { situation: PendingSituation; reason: string } => {
    if (s.cSitNFe === '3') return { situation: 'cancelled', reason: 'the NF-e was cancelled by its issuer (the summary says cSitNFe 3): SEFAZ gives no full XML of a cancelled NF-e' };
    if (s.cSitNFe === '2') return { situation: 'denied', reason: 'the NF-e was denied (the summary says cSitNFe 2): SEFAZ gives no full XML of a denied NF-e' };
    if (s.fetch?.state === 'unavailable') {
      const why = s.fetch.meaning ?? (s.fetch.cStat === null ? 'no reason given' : describeCStat(s.fetch.cStat).text);
      return { situation: 'fetch-unavailable', reason: `consChNFe answered${s.fetch.cStat === null ? '' : ` ${s.fetch.cStat}`}: ${why}` };
    }
    if (m !== null && m.state === 'failed') {
      if (m.outcome === 'out-of-deadline') return { situation: 'out-of-deadline', reason: `${said}: only the issuer can send the XML now` };
      if (m.outcome === 'cancelled-or-denied') return { situation: 'cancelled-or-denied', reason: `${said}: SEFAZ gives no full XML of it` };
      return { situation: 'rejected', reason: `${said}; it is not sent again (SEFAZ answers 656 to a refused request repeated)` };
    }
    if (s.fetch?.state === 'pending' || s.fetch?.state === 'sending') {
      return { situation: 'fetch-queued', reason: `consChNFe queued, sent within the hourly budget${m === null ? '' : `; ${said}`}` };
    }
    if (m !== null && (m.state === 'pending' || m.state === 'sending')) {
      return { situation: 'manifestation-queued', reason: `${said}: the running daemon sends it within seconds` };
    }
    if (m !== null) {
      const asked = s.fetch?.state === 'done' ? '; a consChNFe was answered without it' : '';
      const later = w.fetchFullAfterHours > 0 && s.fetch === null
        ? `; if it has not come ${w.fetchFullAfterHours} h after the event, dfe-sync asks for it with consChNFe`
        : '';
      return { situation: 'manifestation-sent', reason: `${said}: the full XML comes as a new NSU${asked}${later}` };
    }
    return { situation: 'summary-only', reason: summaryOnlyReason(s, company, others, w) };
  };
  const { situation, reason } = decide();
  return {
    cnpj: s.cnpj,
    chNFe: s.chNFe,
    emitterName: s.emitterName,
    vNF: s.vNF,
    dhEmi: s.dhEmi,
    cSitNFe: s.cSitNFe,
    summaryReceivedAt: new Date(s.receivedAt).toISOString(),
    situation,
    reason,
    manifestation: m === null ? null : {
      event: eventName(m.tpEvento), tpEvento: m.tpEvento, state: m.state, outcome: m.outcome,
      cStat: m.cStat, xMotivo: m.xMotivo, nProt: m.nProt, doneAt: iso(m.doneAt),
    },
    fetch: s.fetch,
  };
}

/** The situation in the table's few words, e.g. "ciencia sent", "unavailable 632". */
export function situationWords(k: PendingKey): string {
  const event = k.manifestation?.event ?? 'event';
  switch (k.situation) {
    case 'summary-only': return 'summary only';
    case 'manifestation-queued': return `${event} queued`;
    case 'manifestation-sent': return `${event} sent`;
    case 'rejected': return `${event} rejected ${k.manifestation?.cStat ?? ''}`.trimEnd();
    case 'out-of-deadline': return 'out of deadline';
    case 'cancelled': return 'cancelled';
    case 'denied': return 'denied';
    case 'cancelled-or-denied': return 'cancelled/denied';
    case 'fetch-queued': return 'consChNFe queued';
    case 'fetch-unavailable': return `unavailable ${k.fetch?.cStat ?? ''}`.trimEnd();
  }
}

/** Every pending key of the configured (and formerly configured) companies, or of `cnpj`. */
export function pendingReport(config: Config, clock: Clock, cnpj?: string): PendingReport {
  const now = clock.now();
  const database = stateDbPath(config.stateDir);
  const store = openStateReadOnly(database);
  const keys: PendingKey[] = [];
  try {
    const companies = new Map(config.companies.map((c) => [c.cnpj, c]));
    const w = { now, timeZone: config.timezone, fetchFullAfterHours: config.rules.fetchFullAfterHours };
    for (const s of store?.pendingSummaries(cnpj) ?? []) {
      // Desconhecimento/Operação não Realizada are only looked up where nothing else was sent.
      const others = s.manifestation === null ? (store?.listManifestations(s.cnpj, s.chNFe) ?? []) : [];
      keys.push(pendingKeyOf(s, companies.get(s.cnpj), others, w));
    }
  } finally {
    store?.close();
  }
  const bySituation: Partial<Record<PendingSituation, number>> = {};
  for (const k of keys) bySituation[k.situation] = (bySituation[k.situation] ?? 0) + 1;
  return {
    generatedAt: new Date(now).toISOString(),
    config: config.file,
    database,
    databaseFound: store !== null,
    total: keys.length,
    bySituation,
    keys,
  };
}
