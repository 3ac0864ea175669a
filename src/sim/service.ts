import type { Clock } from '../clock.js';
import { tpAmbOf, type Environment, type TpAmb } from '../sefaz/endpoints.js';
import type { SoapVersion } from '../sefaz/envelope.js';
import {
  XMOTIVO_656_LIMIT_20,
  XMOTIVO_656_SEQUENCE,
  XMOTIVO_656_WAIT_HOUR,
  describeCStat,
} from '../sefaz/catalog.js';
import { cnpjBase, cnpjProblem, isValidAccessKey } from '../sefaz/identifiers.js';
import { CallLog } from './callLog.js';
import { Company, CompanyBook, NSU, type StoredDocument } from './company.js';
import type { NFeSituation, SimDocKind } from './documents.js';
import { SimulatorError } from './errors.js';
import { dhBrasilia } from './format.js';

/**
 * SEFAZ's side of NFeDistribuicaoDFe, without the wire: the documents of each interested
 * CNPJ and the usage rules of NT 2014.002 (DESIGN.md §2), on the injected clock.
 *
 * Written from the rules themselves, not from the client's code (src/rules, src/sync):
 * a bug shared by both would otherwise pass every test.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BATCH = 50;
const TARGETED_PER_HOUR = 20;
const ZERO_NSU = '000000000000000';

export type SimOp = 'distNSU' | 'consNSU' | 'consChNFe';
/** What a logged call was: a distribution query or an event batch (NFeRecepcaoEvento4). */
export type SimCallOp = SimOp | 'envEvento';

/** A distDFeInt that passed the schema checks. */
export interface SimQuery {
  op: SimOp;
  /** ultNSU (distNSU), NSU (consNSU) or chNFe (consChNFe), as sent. */
  value: string;
  tpAmb: string;
  interested: { CNPJ: string } | { CPF: string };
  /** The CNPJ in the client's TLS certificate; null when it carries none. */
  certCnpj: string | null;
  soap: SoapVersion;
}

export interface RetDistDoc {
  /** Absent in consChNFe answers, as SEFAZ sends them since NT 2014.002 v1.15. */
  NSU?: string;
  schema: string;
  /** gzip + base64. */
  content: string;
}

/** retDistDFeInt, field by field. */
export interface RetDist {
  tpAmb: TpAmb;
  verAplic: string;
  cStat: string;
  xMotivo: string;
  dhResp: string;
  /** Absent in consChNFe answers (real 2022 and 2026 captures). */
  ultNSU?: string;
  maxNSU?: string;
  docs: RetDistDoc[];
}

/** Which rule or check decided an answer. */
export type SimRule =
  | 'sequence'
  | 'wait-hour'
  | 'limit-20'
  | 'blocked'
  | 'scripted'
  | 'schema'
  | 'environment'
  | 'certificate'
  | 'cnpj-base'
  | 'cnpj-invalid'
  | 'nsu-above-max'
  | 'older-than-90-days'
  | 'check-digit'
  | 'not-interested'
  | 'fault';

/** Who caused a refusal: the client's own call, another system sharing the CNPJ, a script, an injected fault. */
export type SimCause = 'client' | 'other-system' | 'scripted' | 'fault';

export type FaultKind = 'latency' | 'reset' | 'http500' | 'truncate' | 'malformed' | 'cStat';

/** One event of an envEvento call, as answered. */
export interface SimEventAnswer {
  chNFe: string | null;
  tpEvento: string | null;
  nSeqEvento: string | null;
  cStat: string;
  /** Only when registered (135). */
  nProt?: string;
}

export interface SimCall {
  /** 1, 2, 3… in arrival order (distribution and event calls alike). */
  seq: number;
  /** Simulator clock, ms. */
  at: number;
  /** The same instant as dhResp writes it. */
  time: string;
  /** The interested CNPJ (or CPF), or the author of an event batch's first event; null when the request did not say. */
  cnpj: string | null;
  op: SimCallOp | null;
  ultNSU?: string;
  NSU?: string;
  chNFe?: string;
  /** null when no retDistDFeInt/retEnvEvento was produced (HTTP 500, SOAP Fault); the batch's cStat for envEvento. */
  cStat: string | null;
  xMotivo: string | null;
  docs: number;
  answerUltNSU?: string;
  answerMaxNSU?: string;
  /** envEvento: idLote as sent (when readable). */
  idLote?: string;
  /** envEvento: each event's answer, in the batch's order (none when the batch was refused). */
  events?: SimEventAnswer[];
  soap: SoapVersion;
  rule: SimRule | null;
  cause: SimCause | null;
  /** The client broke a rule with this call. */
  violation: boolean;
  fault?: FaultKind;
  /** The answer was produced but never reached the client (reset, truncated, malformed). */
  answerLost?: boolean;
}

/** `event-repeated`: an event sent again after SEFAZ's answer to it (registered or refused, always final) reached the client. */
export type ViolatedRule = 'sequence' | 'wait-hour' | 'limit-20' | 'blocked' | 'event-repeated';

/** A rule the client broke, with the call that broke it. */
export interface SimViolation {
  call: number;
  at: number;
  time: string;
  cnpj: string;
  op: SimCallOp;
  rule: ViolatedRule;
  detail: string;
}

export interface CompanySnapshot {
  cnpj: string;
  documents: number;
  kinds: Record<SimDocKind, number>;
  maxNSU: string;
  /** SEFAZ's sequence (the ultNSU of the last distNSU answer, whoever got it); null before the first. */
  ultNSU: string | null;
  /** The 656 block in force ends then (ms); null when none is. */
  blockedUntil: number | null;
  /** After an answer with ultNSU == maxNSU, no distNSU before then (ms); null when none is pending. */
  distNSUAllowedAt: number | null;
  /** consNSU + consChNFe in the last hour. */
  targetedLastHour: number;
}

export interface DocumentView {
  NSU: string;
  kind: SimDocKind;
  schema: string;
  chNFe: string;
  receivedAt: number;
  xml: string;
}

export interface CompanyOptions {
  /** Documents at NSU 1..N, received by the AN over the `spreadDays` before now. */
  documents?: number;
  /** Default 30 (all of them still served: the AN serves 90 days). */
  spreadDays?: number;
  /**
   * Every document, now and later, a resNFe of a new authorized NF-e (default false: a
   * mix of summaries, full NF-e and events). Full NF-e then come only from manifestations.
   */
  summariesOnly?: boolean;
}

export interface DistributionServiceOptions {
  clock: Clock;
  environment: Environment;
  seed: number;
  verAplic?: string;
  /** Ignored when callLog is given (it has its own). */
  onCall?: (call: SimCall) => void;
  /** Shared with the event service; made here when absent. */
  companies?: CompanyBook;
  callLog?: CallLog;
}

/** What a query's fault changes in its handling (the rest is the transport's business). */
export interface QueryFault {
  kind: FaultKind;
  /** For kind 'cStat': answered without being processed. */
  cStat?: '108' | '109' | '999';
}

interface Decision {
  ret: RetDist;
  rule: SimRule | null;
  cause: SimCause | null;
  violation: { rule: ViolatedRule; detail: string } | null;
}

type Cursor = { ultNSU?: string; maxNSU?: string };
type Refuse = (cStat: string, rule: SimRule, cursor?: Cursor) => Decision;
type Block = (xMotivo: string, rule: SimRule, cause: SimCause, violation: Decision['violation']) => Decision;

/** The AN's wording: the catalog's wire text, else its MOC text without accents. */
export function anText(cStat: string, variant = 0): string {
  const info = describeCStat(cStat);
  return info.wire[variant] ?? info.text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

export class DistributionService {
  private readonly book: CompanyBook;
  private readonly log: CallLog;
  private readonly tpAmb: TpAmb;
  private readonly verAplic: string;

  constructor(private readonly opts: DistributionServiceOptions) {
    this.tpAmb = tpAmbOf(opts.environment);
    this.verAplic = opts.verAplic ?? '1.7.8';
    this.book = opts.companies ?? new CompanyBook(opts.seed, this.tpAmb);
    this.log = opts.callLog ?? new CallLog(opts.onCall);
  }

  addCompany(cnpj: string, opts: CompanyOptions = {}): void {
    const c = this.companyOf(checkedCnpj(cnpj));
    const count = checkedCount('documents', opts.documents ?? 0);
    const now = this.opts.clock.now();
    if (opts.summariesOnly !== undefined) c.summariesOnly = opts.summariesOnly;
    c.receive(count, now - (opts.spreadDays ?? 30) * DAY, now);
  }

  /** Documents arriving now, after the existing ones. */
  addDocuments(cnpj: string, count: number): void {
    const now = this.opts.clock.now();
    this.companyOf(checkedCnpj(cnpj)).receive(checkedCount('count', count), now, now);
  }

  company(cnpj: string): CompanySnapshot {
    return this.snapshot(this.companyOf(checkedCnpj(cnpj)));
  }

  companies(): CompanySnapshot[] {
    return this.book.all(this.opts.clock.now()).map((c) => this.snapshot(c));
  }

  documents(cnpj: string): DocumentView[] {
    return this.companyOf(checkedCnpj(cnpj)).docs.map(view);
  }

  /**
   * A new NF-e issued to this CNPJ, received by the AN now: its resNFe, authorized (1),
   * denied (2) or already cancelled (3) as cSitNFe says.
   */
  addNFe(cnpj: string, cSitNFe: NFeSituation = '1'): DocumentView {
    if (cSitNFe !== '1' && cSitNFe !== '2' && cSitNFe !== '3') {
      throw new SimulatorError('SIM_BAD_INPUT', `cSitNFe must be "1" (authorized), "2" (denied) or "3" (cancelled), not "${String(cSitNFe)}"`);
    }
    return view(this.companyOf(checkedCnpj(cnpj)).issue(cSitNFe, this.opts.clock.now()));
  }

  /** The next call for this CNPJ gets a 656 as if another system had broken a rule: a real one-hour block. */
  scriptAnswer(cnpj: string, answer: { cStat: '656'; xMotivo?: string }): void {
    if (answer.cStat !== '656') throw new SimulatorError('SIM_BAD_INPUT', `scriptAnswer: only cStat "656" can be scripted, not "${String(answer.cStat)}"`);
    this.companyOf(checkedCnpj(cnpj)).scripted.push(answer);
  }

  /**
   * Another system made distNSU calls for this CNPJ, taking the next `documents`
   * documents (made to arrive now if they do not exist yet): the shared sequence moves
   * past them, and our client, asking with the ultNSU it was last given, is out of
   * sequence. The other system's last request is taken to be at the new position, so
   * repeating our own last request is no longer the tolerated retry.
   */
  otherSystemAdvances(cnpj: string, documents: number): void {
    const c = this.companyOf(checkedCnpj(cnpj));
    const n = checkedCount('documents', documents);
    const now = this.opts.clock.now();
    const target = (c.seqUlt ?? 0) + n;
    if (target > c.maxNSU) c.receive(target - c.maxNSU, now, now);
    c.processedDist('other-system', target, target, now);
  }

  calls(): readonly SimCall[] {
    return this.log.calls();
  }

  violations(): readonly SimViolation[] {
    return this.log.violations();
  }

  /** Answers a query under SEFAZ's rules, and logs it. */
  query(q: SimQuery, fault?: QueryFault): RetDist {
    const now = this.opts.clock.now();
    const d = fault?.kind === 'cStat' ? this.faultAnswer(q, fault.cStat ?? '999', now) : this.decide(q, now);
    const call = this.log.record(now, q.soap, {
      cnpj: 'CNPJ' in q.interested ? q.interested.CNPJ : q.interested.CPF,
      op: q.op,
      ...queryValue(q.op, q.value),
      cStat: d.ret.cStat,
      xMotivo: d.ret.xMotivo,
      docs: d.ret.docs.length,
      answerUltNSU: d.ret.ultNSU,
      answerMaxNSU: d.ret.maxNSU,
      rule: d.rule,
      cause: d.cause,
      violation: d.violation !== null,
      fault: fault?.kind,
      answerLost: fault?.kind === 'reset' || fault?.kind === 'truncate' || fault?.kind === 'malformed' ? true : undefined,
    });
    if (d.violation !== null) {
      this.log.violation({
        call: call.seq,
        at: now,
        time: call.time,
        cnpj: call.cnpj!,
        op: q.op,
        rule: d.violation.rule,
        detail: d.violation.detail,
      });
    }
    return d.ret;
  }

  /** A request refused before any rule (schema): 215, logged. */
  reject(soap: SoapVersion, detail: { cnpj?: string; op?: SimOp }): RetDist {
    const now = this.opts.clock.now();
    const ret = this.ret('215', anText('215'), now, { ultNSU: ZERO_NSU, maxNSU: ZERO_NSU });
    this.log.record(now, soap, {
      cnpj: detail.cnpj,
      op: detail.op,
      cStat: ret.cStat,
      xMotivo: ret.xMotivo,
      answerUltNSU: ZERO_NSU,
      answerMaxNSU: ZERO_NSU,
      rule: 'schema',
    });
    return ret;
  }

  /** A call that got no retDistDFeInt at all (an injected HTTP 500, a SOAP Fault): logged, nothing processed. */
  unanswered(soap: SoapVersion, detail: { cnpj?: string; op?: SimOp; value?: string; fault?: FaultKind; rule: SimRule }): void {
    this.log.record(this.opts.clock.now(), soap, {
      cnpj: detail.cnpj,
      op: detail.op,
      ...(detail.op !== undefined && detail.value !== undefined ? queryValue(detail.op, detail.value) : {}),
      rule: detail.rule,
      cause: detail.fault === undefined ? null : 'fault',
      fault: detail.fault,
    });
  }

  private companyOf(cnpj: string): Company {
    return this.book.at(cnpj, this.opts.clock.now());
  }

  private snapshot(c: Company): CompanySnapshot {
    const now = this.opts.clock.now();
    const waitEnd = c.lastDistReachedMax && c.lastDistAt !== null ? c.lastDistAt + HOUR : null;
    return {
      cnpj: c.cnpj,
      documents: c.docs.length,
      kinds: c.kinds(),
      maxNSU: NSU(c.maxNSU),
      ultNSU: c.seqUlt === null ? null : NSU(c.seqUlt),
      blockedUntil: c.blockedUntil !== null && c.blockedUntil > now ? c.blockedUntil : null,
      distNSUAllowedAt: waitEnd !== null && waitEnd > now ? waitEnd : null,
      targetedLastHour: c.targetedInHour(now),
    };
  }

  private ret(cStat: string, xMotivo: string, now: number, cursor: Cursor = {}, docs: RetDistDoc[] = []): RetDist {
    return { tpAmb: this.tpAmb, verAplic: this.verAplic, cStat, xMotivo, dhResp: dhBrasilia(now), ...cursor, docs };
  }

  /** A query SEFAZ serves: 138 with `docs`, or 137 when there are none. `variant` picks 138's wording (0 a batch, 1 one document). */
  private served(now: number, cursor: Cursor, docs: RetDistDoc[], variant: 0 | 1): Decision {
    const ret = docs.length === 0 ? this.ret('137', anText('137'), now, cursor) : this.ret('138', anText('138', variant), now, cursor, docs);
    return { ret, rule: null, cause: null, violation: null };
  }

  private faultAnswer(q: SimQuery, cStat: string, now: number): Decision {
    const cursor = q.op === 'consChNFe' ? {} : { ultNSU: ZERO_NSU, maxNSU: ZERO_NSU };
    return { ret: this.ret(cStat, anText(cStat), now, cursor), rule: 'fault', cause: 'fault', violation: null };
  }

  private decide(q: SimQuery, now: number): Decision {
    const zeros = q.op === 'consChNFe' ? {} : { ultNSU: ZERO_NSU, maxNSU: ZERO_NSU };
    const refuse: Refuse = (cStat, rule, cursor = zeros) => ({
      ret: this.ret(cStat, anText(cStat), now, cursor),
      rule,
      cause: null,
      violation: null,
    });

    if (q.tpAmb !== this.tpAmb) return refuse('252', 'environment');
    if (q.certCnpj === null) return refuse('282', 'certificate');
    if (!('CNPJ' in q.interested)) return refuse('593', 'cnpj-base');
    const cnpj = q.interested.CNPJ;
    if (cnpjProblem(cnpj) !== null) return refuse('489', 'cnpj-invalid');
    if (cnpjBase(cnpj) !== cnpjBase(q.certCnpj)) return refuse('593', 'cnpj-base');

    const c = this.companyOf(cnpj);
    const blocked: Block = (xMotivo, rule, cause, violation) => {
      c.blockedUntil = now + HOUR;
      c.blockXMotivo = xMotivo;
      const cursor = q.op === 'consChNFe' ? {} : { ultNSU: NSU(c.seqUlt ?? 0), maxNSU: ZERO_NSU };
      return { ret: this.ret('656', xMotivo, now, cursor), rule, cause, violation };
    };

    if (c.blockedUntil !== null && now < c.blockedUntil) {
      const minutes = Math.ceil((c.blockedUntil - now) / 60_000);
      return blocked(c.blockXMotivo, 'blocked', 'client', {
        rule: 'blocked',
        detail: `${q.op} during a 656 block (${minutes} min left); the hour restarts`,
      });
    }
    const script = c.scripted.shift();
    if (script !== undefined) {
      const xMotivo = script.xMotivo ?? (q.op === 'distNSU' ? XMOTIVO_656_SEQUENCE : XMOTIVO_656_LIMIT_20);
      return blocked(xMotivo, 'scripted', 'scripted', null);
    }

    if (q.op === 'distNSU') return this.distNSU(c, Number(q.value), now, refuse, blocked);
    const used = c.targetedInHour(now);
    if (used >= TARGETED_PER_HOUR) {
      return blocked(XMOTIVO_656_LIMIT_20, 'limit-20', 'client', {
        rule: 'limit-20',
        detail: `${q.op} number ${used + 1} in an hour (consNSU + consChNFe may be 20)`,
      });
    }
    c.targeted.push(now);
    return q.op === 'consNSU' ? this.consNSU(c, Number(q.value), now, refuse) : this.consChNFe(c, q.value, now, refuse);
  }

  private distNSU(c: Company, ult: number, now: number, refuse: Refuse, blocked: Block): Decision {
    if (ult > c.maxNSU) return refuse('589', 'nsu-above-max');
    const inSequence = c.seqUlt === null || ult === c.seqUlt || ult === c.lastRequestUlt;
    if (!inSequence) {
      // The client followed the sequence as it last saw it: the other system moved it.
      const followedItsOwn =
        ult === c.clientGiven || ult === c.clientRequested || (c.clientGiven === null && c.clientRequested === null);
      if (c.movedByOther && followedItsOwn) {
        // This 656 tells the client SEFAZ's ultNSU: from now on the stale one is the client's own fault.
        c.movedByOther = false;
        c.clientGiven = c.seqUlt;
        return blocked(XMOTIVO_656_SEQUENCE, 'sequence', 'other-system', null);
      }
      return blocked(XMOTIVO_656_SEQUENCE, 'sequence', 'client', {
        rule: 'sequence',
        detail: `distNSU with ultNSU ${NSU(ult)}; SEFAZ's last ultNSU is ${NSU(c.seqUlt!)}`,
      });
    }
    if (c.lastDistReachedMax && c.lastDistAt !== null && now < c.lastDistAt + HOUR) {
      const minutes = Math.round((now - c.lastDistAt) / 60_000);
      if (c.lastDistBy === 'other-system') return blocked(XMOTIVO_656_WAIT_HOUR, 'wait-hour', 'other-system', null);
      return blocked(XMOTIVO_656_WAIT_HOUR, 'wait-hour', 'client', {
        rule: 'wait-hour',
        detail: `distNSU ${minutes} min after an answer with ultNSU == maxNSU (${NSU(c.seqUlt ?? 0)}); one hour is required`,
      });
    }

    const first = c.firstServable(ult, now);
    const last = Math.min(first + BATCH - 1, c.maxNSU);
    const docs: RetDistDoc[] = [];
    for (let nsu = first; nsu <= last; nsu++) {
      docs.push({ NSU: NSU(nsu), schema: c.doc(nsu)!.schema, content: c.zip(nsu) });
    }
    const answerUlt = docs.length > 0 ? last : c.maxNSU;
    c.processedDist('client', ult, answerUlt, now);
    return this.served(now, { ultNSU: NSU(answerUlt), maxNSU: NSU(c.maxNSU) }, docs, 0);
  }

  private consNSU(c: Company, nsu: number, now: number, refuse: Refuse): Decision {
    if (nsu > c.maxNSU) return refuse('589', 'nsu-above-max');
    const cursor = { ultNSU: NSU(nsu), maxNSU: NSU(c.maxNSU) };
    const doc = c.doc(nsu);
    if (doc === undefined) return this.served(now, cursor, [], 1);
    if (tooOld(doc.receivedAt, now)) return refuse('632', 'older-than-90-days', cursor);
    return this.served(now, cursor, [{ NSU: NSU(nsu), schema: doc.schema, content: c.zip(nsu) }], 1);
  }

  private consChNFe(c: Company, chNFe: string, now: number, refuse: Refuse): Decision {
    if (!isValidAccessKey(chNFe)) return refuse('236', 'check-digit');
    const found = c.nfe(chNFe);
    if (found === undefined) return refuse('640', 'not-interested');
    if (tooOld(found.receivedAt, now)) return refuse('632', 'older-than-90-days');
    return this.served(now, {}, [{ schema: found.doc.schema, content: c.zip(found.doc.nsu) }], 1);
  }
}

function view(d: StoredDocument): DocumentView {
  return { NSU: NSU(d.nsu), kind: d.kind, schema: d.schema, chNFe: d.chNFe, receivedAt: d.receivedAt, xml: d.xml };
}

function queryValue(op: SimOp, value: string): Pick<SimCall, 'ultNSU' | 'NSU' | 'chNFe'> {
  return op === 'distNSU' ? { ultNSU: value } : op === 'consNSU' ? { NSU: value } : { chNFe: value };
}

function tooOld(receivedAt: number, now: number): boolean {
  return now - receivedAt > 90 * DAY;
}

function checkedCnpj(cnpj: string): string {
  const problem = cnpjProblem(cnpj);
  if (problem !== null) throw new SimulatorError('SIM_BAD_INPUT', problem);
  return cnpj;
}

function checkedCount(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) {
    throw new SimulatorError('SIM_BAD_INPUT', `${name} must be a whole number from 0 to 1000000, not ${String(n)}`);
  }
  return n;
}
