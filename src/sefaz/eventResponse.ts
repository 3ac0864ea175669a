import { describeCStat } from './catalog.js';
import { soapBody } from './envelope.js';
import { ResponseParseError } from './errors.js';
import { child, childText, isNode } from './node.js';
import { parseAnswer } from './response.js';
import type { XmlNode } from './xml.js';

/** What became of one event, and so what the client does next (see isFinal). */
export type EventOutcome =
  /** 135, 136: registered; nProt is its protocol. */
  | 'registered'
  /** 573: the same event was registered before (by us or another system): done. */
  | 'duplicate'
  /** 655: a conclusive manifestation is already registered, so a Ciência is moot: done. */
  | 'superseded'
  /** 596: the deadline for this event has passed. */
  | 'out-of-deadline'
  /**
   * 650 (Ciência), 651 (Desconhecimento): the NF-e is cancelled or denied. SEFAZ's code
   * does not tell which; the resNFe's cSitNFe (2 denied, 3 cancelled) does.
   */
  | 'cancelled-or-denied'
  /** Any other answer: refused for good, xMotivo says why. */
  | 'rejected'
  /** SEFAZ is unwell (108, 109, 999) or gave no result for the event: nothing was refused. */
  | 'retry-later';

export interface EventResult {
  chNFe: string | null;
  tpEvento: string | null;
  nSeqEvento: string | null;
  cStat: string;
  xMotivo: string;
  nProt: string | null;
  dhRegEvento: string | null;
  outcome: EventOutcome;
}

export interface EventBatchResult {
  tpAmb: string;
  verAplic: string;
  cOrgao: string;
  /** 128 when the batch was processed; anything else refused the whole batch. */
  cStat: string;
  xMotivo: string;
  idLote: string;
  events: EventResult[];
}

/** An event as it was sent, to line the answer up with (see parseEventResponse). */
export interface SentEvent {
  chNFe: string;
  tpEvento: string;
  nSeqEvento?: number | string;
}

export const BATCH_PROCESSED = '128';

const OUTCOMES: Readonly<Record<string, EventOutcome>> = {
  '135': 'registered',
  '136': 'registered',
  '573': 'duplicate',
  '655': 'superseded',
  '596': 'out-of-deadline',
  '650': 'cancelled-or-denied',
  '651': 'cancelled-or-denied',
};

/** The outcome of one event's cStat (or of a whole batch's, when it was not processed). */
export function eventOutcomeOf(cStat: string): EventOutcome {
  return OUTCOMES[cStat] ?? (describeCStat(cStat).class === 'transient' ? 'retry-later' : 'rejected');
}

/**
 * Whether an outcome is the event's last word. A refused event is never sent again on
 * its own: SEFAZ answers 656 to the same refused request repeated, and a new request
 * would be refused for the same reason. Only 'retry-later' (and transport failures,
 * which never reach this parser) go out again, with backoff.
 */
export function isFinal(outcome: EventOutcome): boolean {
  return outcome !== 'retry-later';
}

const CSTAT = /^[0-9]{3}$/;

/**
 * Reads a NFeRecepcaoEvento4 answer: a SOAP 1.2 or 1.1 envelope whose Body holds
 * retEnvEvento inside nfeRecepcaoEventoNFResult, nfeResultMsg or a Response wrapper,
 * or a bare retEnvEvento.
 *
 * Without `sent`, `events` are the retEvento as SEFAZ returned them (none when the
 * batch was refused as a whole). With `sent`, `events` has one result per sent event, in
 * its order: matched by chNFe + tpEvento + nSeqEvento (an answer without a key takes the
 * next unmatched event); a refused batch gives every event the batch's cStat and text;
 * an event the answer leaves out is 'retry-later'.
 *
 * Throws SoapFaultError for a Fault and ResponseParseError when the answer cannot be
 * understood (the caller treats that as no answer: nothing is final).
 */
export function parseEventResponse(body: string | Buffer, sent?: readonly SentEvent[]): EventBatchResult {
  const doc = parseAnswer(body, 'event');

  const ret = findRetEnvEvento(doc);
  if (ret === undefined) {
    throw new ResponseParseError('the event answer holds no retEnvEvento (neither bare nor in a SOAP Body)');
  }
  const cStat = checkedCStat(childText(ret, 'cStat'), 'retEnvEvento');
  const xMotivo = childText(ret, 'xMotivo') ?? '';
  const returned = retEventos(ret).map(parseRetEvento);
  const batch = {
    tpAmb: childText(ret, 'tpAmb') ?? '',
    verAplic: childText(ret, 'verAplic') ?? '',
    cOrgao: childText(ret, 'cOrgao') ?? '',
    cStat,
    xMotivo,
    idLote: childText(ret, 'idLote') ?? '',
  };
  if (sent === undefined) return { ...batch, events: returned };
  if (cStat !== BATCH_PROCESSED) {
    const outcome = eventOutcomeOf(cStat);
    return { ...batch, events: sent.map((s) => ({ ...keyOf(s), cStat, xMotivo, nProt: null, dhRegEvento: null, outcome })) };
  }
  return { ...batch, events: alignResults(returned, sent) };
}

function findRetEnvEvento(doc: XmlNode): XmlNode | undefined {
  const bare = child(doc, 'retEnvEvento');
  if (bare !== undefined) return bare;
  const body = soapBody(doc);
  const direct = child(body, 'retEnvEvento');
  if (direct !== undefined) return direct;
  // nfeRecepcaoEventoNFResult (DFe.NET, nfelib mock), nfeResultMsg (SVRS WSDL), or either
  // inside a …Response wrapper (document/literal wrapped stacks).
  for (const outer of childElements(body)) {
    const found = child(outer, 'retEnvEvento') ?? childElements(outer).map((inner) => child(inner, 'retEnvEvento')).find(Boolean);
    if (found !== undefined) return found;
  }
  return undefined;
}

function childElements(node: unknown): XmlNode[] {
  if (!isNode(node)) return [];
  return Object.entries(node)
    .filter(([k]) => !k.startsWith('@_') && k !== '#text')
    .flatMap(([, v]) => (Array.isArray(v) ? v : [v]))
    .filter(isNode);
}

function retEventos(ret: XmlNode): unknown[] {
  const v = ret['retEvento'];
  return Array.isArray(v) ? v : [];
}

function checkedCStat(cStat: string | undefined, where: string): string {
  if (cStat === undefined || !CSTAT.test(cStat)) {
    throw new ResponseParseError(`${where} has no valid cStat (got ${cStat === undefined ? 'none' : `"${cStat}"`})`);
  }
  return cStat;
}

function parseRetEvento(el: unknown, i: number): EventResult {
  const inf = child(el, 'infEvento');
  if (inf === undefined) throw new ResponseParseError(`retEvento ${i + 1} has no infEvento`);
  const cStat = checkedCStat(childText(inf, 'cStat'), `retEvento ${i + 1}`);
  const optional = (name: string): string | null => {
    const v = childText(inf, name);
    return v === undefined || v === '' ? null : v;
  };
  return {
    chNFe: optional('chNFe'),
    tpEvento: optional('tpEvento'),
    nSeqEvento: optional('nSeqEvento'),
    cStat,
    xMotivo: childText(inf, 'xMotivo') ?? '',
    nProt: optional('nProt'),
    dhRegEvento: optional('dhRegEvento'),
    outcome: eventOutcomeOf(cStat),
  };
}

function keyOf(s: SentEvent): Pick<EventResult, 'chNFe' | 'tpEvento' | 'nSeqEvento'> {
  return { chNFe: s.chNFe, tpEvento: s.tpEvento, nSeqEvento: String(Number(s.nSeqEvento ?? 1)) };
}

function matchKey(chNFe: string, tpEvento: string, nSeqEvento: string): string {
  return `${chNFe}|${tpEvento}|${Number(nSeqEvento)}`;
}

function alignResults(returned: EventResult[], sent: readonly SentEvent[]): EventResult[] {
  const unused = new Set(returned.map((_, i) => i));
  const keyed = new Map<string, number>();
  returned.forEach((r, i) => {
    if (r.chNFe !== null && r.tpEvento !== null) {
      const k = matchKey(r.chNFe, r.tpEvento, r.nSeqEvento ?? '1');
      if (!keyed.has(k)) keyed.set(k, i);
    }
  });
  const byKey = sent.map((s) => {
    const key = keyOf(s);
    const i = keyed.get(matchKey(key.chNFe!, key.tpEvento!, key.nSeqEvento!));
    if (i === undefined) return undefined;
    unused.delete(i);
    return i;
  });
  const keyless = [...unused].filter((i) => returned[i]!.chNFe === null);
  return sent.map((s, j) => {
    const i = byKey[j] ?? keyless.shift();
    const key = keyOf(s);
    if (i === undefined) {
      return {
        ...key,
        cStat: BATCH_PROCESSED,
        xMotivo: 'SEFAZ processed the batch but returned no result for this event',
        nProt: null,
        dhRegEvento: null,
        outcome: 'retry-later',
      };
    }
    const r = returned[i]!;
    return { ...r, chNFe: r.chNFe ?? key.chNFe, tpEvento: r.tpEvento ?? key.tpEvento, nSeqEvento: r.nSeqEvento ?? key.nSeqEvento };
  });
}
