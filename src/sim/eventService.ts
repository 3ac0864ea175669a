import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCertificateFacts } from '../cert/facts.js';
import type { Clock } from '../clock.js';
import { tpAmbOf, type Environment, type TpAmb } from '../sefaz/endpoints.js';
import type { SoapVersion } from '../sefaz/envelope.js';
import { cnpjBase } from '../sefaz/identifiers.js';
import type { CallLog } from './callLog.js';
import type { CompanyBook } from './company.js';
import { verifyEnvEventoSignatures, type SignatureVerdict } from './eventSignature.js';
import { authorOf, type EventoFields, type ParsedEventRequest, type RetEnvEvento, type RetEvento } from './eventSoap.js';
import { SimulatorError } from './errors.js';
import { dhBrasilia } from './format.js';
import { anText, type FaultKind, type QueryFault, type SimCall, type SimEventAnswer, type SimRule } from './service.js';

/**
 * SEFAZ's side of NFeRecepcaoEvento4 for the recipient's events (manifestação do
 * destinatário) at the national environment, without the wire: each event's signature,
 * signing certificate and business rules (NT 2020.001 §6.3.8 and the general event
 * rules), the register of events, and the full NF-e a manifestation releases, which
 * becomes a new NSU of the recipient some time later, on the injected clock.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ZERO_LOTE = '000000000000000';
/** A dhEvento this far ahead of the AN's clock is refused (578): the usual sign of a UTC time written with -03:00. */
const FUTURE_TOLERANCE_MS = 5 * MINUTE;

export type ManifestationCode = '210200' | '210210' | '210220' | '210240';

interface Manifestation {
  /** descEvento as leiauteConfRecebto_v1.00.xsd enumerates it. */
  descEvento: string;
  xJust: 'required' | 'optional' | 'absent';
  /** The recipient gets the full NF-e after it (NT 2014.002: Ciência, Confirmação, Operação não Realizada). */
  releasesFull: boolean;
  /** A conclusive manifestation: a Ciência after one is refused (655). */
  conclusive: boolean;
}

const MANIFESTATIONS: Readonly<Record<ManifestationCode, Manifestation>> = {
  '210200': { descEvento: 'Confirmacao da Operacao', xJust: 'absent', releasesFull: true, conclusive: true },
  '210210': { descEvento: 'Ciencia da Operacao', xJust: 'absent', releasesFull: true, conclusive: false },
  '210220': { descEvento: 'Desconhecimento da Operacao', xJust: 'optional', releasesFull: false, conclusive: true },
  '210240': { descEvento: 'Operacao nao Realizada', xJust: 'required', releasesFull: true, conclusive: true },
};

/**
 * Days after the NF-e's authorization within which each event is received (596 after).
 * Ciência 10 days; the conclusive ones 90 days since 2026-06-01 (NT 2020.001 v1.60,
 * Ajuste SINIEF 14/26; 180 days before).
 */
export const DEFAULT_EVENT_DEADLINE_DAYS: Readonly<Record<ManifestationCode, number>> = {
  '210200': 90,
  '210210': 10,
  '210220': 90,
  '210240': 90,
};

/** Ten simulated minutes from a manifestation to its full NF-e as a new NSU. */
export const DEFAULT_FULL_DOCUMENT_DELAY_MS = 10 * MINUTE;

/** xJust of e210220/e210240: Latin-1, no blank at either end. */
const XJUST = /^[!-\u00ff]([ -\u00ff]*[!-\u00ff])?$/;

/** A registered event, as events() lists it. */
export interface SimEventView {
  nProt: string;
  /** The author: the CNPJ (or CPF) the NF-e was issued to. */
  cnpj: string;
  chNFe: string;
  tpEvento: ManifestationCode;
  nSeqEvento: number;
  dhEvento: string;
  dhRegEvento: string;
  /** Simulator clock, ms. */
  at: number;
  /** The CNPJ of the signing certificate (a branch may sign with its head office's). */
  signerCnpj: string;
  idLote: string;
  /** When the full procNFe became (or becomes) a new NSU of the author; null when this event released none. */
  fullDocumentAt: number | null;
}

export interface EventServiceOptions {
  clock: Clock;
  environment: Environment;
  companies: CompanyBook;
  callLog: CallLog;
  /** PEM of the CA signing certificates must chain to (the simulator's tlsDir/ca.pem), read on first use. */
  trustedCaFile: string;
  /** verAplic of the answers; default AN_1.8.6 (the 2025 capture). */
  verAplic?: string;
  fullDocumentDelayMs?: number;
  deadlineDays?: Partial<Record<ManifestationCode, number>>;
}

/** Where an event call comes from. */
export interface EventCallContext {
  soap: SoapVersion;
  /** The CNPJ of the client's TLS certificate; null when it carries none. */
  certCnpj: string | null;
}

/**
 * An event's answer, and for a 135 the registration that goes with it: applied before
 * the next event of the batch is decided, which may depend on it (573, 655).
 */
type Decision = { ret: RetEvento; register?: () => SimEventView };

export class EventService {
  private readonly tpAmb: TpAmb;
  private readonly verAplic: string;
  private readonly delayMs: number;
  private readonly deadlines: Record<ManifestationCode, number>;
  private readonly registered = new Map<string, SimEventView>();
  /** Keys with a conclusive manifestation registered. */
  private readonly concluded = new Set<string>();
  /** author|Id of events whose per-event answer reached the client. */
  private readonly answered = new Map<string, string>();
  private protSeq = 0;
  private ca: X509Certificate | null | undefined;

  constructor(private readonly opts: EventServiceOptions) {
    this.tpAmb = tpAmbOf(opts.environment);
    this.verAplic = opts.verAplic ?? 'AN_1.8.6';
    this.delayMs = opts.fullDocumentDelayMs ?? DEFAULT_FULL_DOCUMENT_DELAY_MS;
    if (!Number.isFinite(this.delayMs) || this.delayMs < 0) {
      throw new SimulatorError('SIM_BAD_INPUT', `fullDocumentDelayMs must be 0 or more, not ${String(opts.fullDocumentDelayMs)}`);
    }
    this.deadlines = { ...DEFAULT_EVENT_DEADLINE_DAYS, ...opts.deadlineDays };
    for (const [code, days] of Object.entries(this.deadlines)) {
      if (!(days > 0)) throw new SimulatorError('SIM_BAD_INPUT', `deadlineDays.${code} must be more than 0, not ${String(days)}`);
    }
  }

  /** Registered events in the order SEFAZ registered them; of one author when `cnpj` is given. */
  events(cnpj?: string): SimEventView[] {
    const all = [...this.registered.values()];
    return (cnpj === undefined ? all : all.filter((e) => e.cnpj === cnpj)).map((e) => ({ ...e }));
  }

  /** Answers an envEvento under SEFAZ's rules, registers what passes, and logs the call. */
  receive(req: Exclude<ParsedEventRequest, { kind: 'not-soap' }>, ctx: EventCallContext, fault?: QueryFault): RetEnvEvento {
    const now = this.opts.clock.now();
    const author = req.author;
    const batch = (cStat: string, xMotivo: string, retEvento: RetEvento[] = []): RetEnvEvento => ({
      idLote: req.idLote ?? ZERO_LOTE,
      tpAmb: this.tpAmb,
      verAplic: this.verAplic,
      cOrgao: '91',
      cStat,
      xMotivo,
      retEvento,
    });
    const lost = fault?.kind === 'reset' || fault?.kind === 'truncate' || fault?.kind === 'malformed';
    const log = (ret: RetEnvEvento, rule: SimRule | null, events?: SimEventAnswer[]): SimCall =>
      this.opts.callLog.record(now, ctx.soap, {
        cnpj: author ?? undefined,
        op: 'envEvento',
        idLote: req.idLote ?? undefined,
        events,
        cStat: ret.cStat,
        xMotivo: ret.xMotivo,
        rule,
        cause: fault === undefined ? null : 'fault',
        fault: fault?.kind,
        answerLost: lost ? true : undefined,
      });
    const refuse = (cStat: string, rule: SimRule): RetEnvEvento => {
      const ret = batch(cStat, anText(cStat));
      log(ret, rule);
      return ret;
    };

    if (fault?.kind === 'cStat') return refuse(fault.cStat ?? '999', 'fault');
    if (req.kind === 'refused') return refuse(req.cStat, 'schema');
    if (ctx.certCnpj === null) return refuse('282', 'certificate');

    const verdicts = verifyEnvEventoSignatures(req.envEvento);
    const decisions = req.events.map((ev, i) => {
      const d = this.decide(ev, verdicts[i], req.idLote, now);
      const view = d.register?.();
      return view === undefined ? d.ret : { ...d.ret, nProt: view.nProt };
    });
    const answers = decisions.map((r): SimEventAnswer => ({
      chNFe: r.chNFe ?? null,
      tpEvento: r.tpEvento ?? null,
      nSeqEvento: r.nSeqEvento ?? null,
      cStat: r.cStat,
      ...(r.nProt === undefined ? {} : { nProt: r.nProt }),
    }));
    const ret = batch('128', anText('128'), decisions);
    const call = log(ret, null, answers);
    this.noteAnswered(call, req.events, decisions, fault?.kind, lost);
    return ret;
  }

  /** A call that got no retEnvEvento (an injected HTTP 500, a SOAP Fault): logged, nothing processed. */
  unanswered(soap: SoapVersion, detail: { cnpj?: string; fault?: FaultKind; rule: SimRule }): void {
    this.opts.callLog.record(this.opts.clock.now(), soap, {
      cnpj: detail.cnpj,
      op: 'envEvento',
      rule: detail.rule,
      cause: detail.fault === undefined ? null : 'fault',
      fault: detail.fault,
    });
  }

  /**
   * An event whose answer reached the client is never sent again: SEFAZ's answer is
   * final, whatever it was (a registered one comes back 573). Sending it again is a
   * client bug, logged as a violation. Answers held back by latency may have been given
   * up on, so they do not count.
   */
  private noteAnswered(call: SimCall, events: EventoFields[], rets: RetEvento[], fault: FaultKind | undefined, lost: boolean): void {
    events.forEach((ev, i) => {
      const key = `${authorOf(ev)}|${ev.Id}`;
      const before = this.answered.get(key);
      if (before !== undefined) {
        this.opts.callLog.violation({
          call: call.seq,
          at: call.at,
          time: call.time,
          cnpj: authorOf(ev),
          op: 'envEvento',
          rule: 'event-repeated',
          detail: `event ${ev.Id} sent again after SEFAZ answered it ${before}`,
        });
      }
      if (!lost && fault !== 'latency') this.answered.set(key, rets[i]!.cStat);
    });
  }

  private decide(ev: EventoFields, verdict: SignatureVerdict | undefined, idLote: string, now: number): Decision {
    const ret = (cStat: string, xMotivo = anText(cStat)): Decision => ({
      ret: {
        tpAmb: this.tpAmb,
        verAplic: this.verAplic,
        cOrgao: '91',
        cStat,
        xMotivo,
        chNFe: ev.chNFe,
        tpEvento: ev.tpEvento,
        nSeqEvento: ev.nSeqEvento,
        dhRegEvento: dhBrasilia(now),
      },
    });

    // The signing certificate, then the signature (MOC: certificado de assinatura, assinatura).
    if (verdict === undefined || verdict.problem === 'certificate' || verdict.certificate === null) return ret('290');
    const cert = new X509Certificate(verdict.certificate);
    const ca = this.trustedCa();
    if (ca === null || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return ret('293');
    const signerCnpj = readCertificateFacts(verdict.certificate).cnpj;
    if (signerCnpj === null) return ret('292');
    if (verdict.problem === 'profile') return ret('298');
    if (verdict.problem !== null) return ret('297');
    if (!('CNPJ' in ev.author)) return ret('227');
    const author = ev.author.CNPJ;
    if (cnpjBase(author) !== cnpjBase(signerCnpj)) return ret('213');

    // The general part of the event.
    if (ev.tpAmb !== this.tpAmb) return ret('252');
    if (ev.cOrgao !== '91') return ret('657');
    if (ev.Id !== `ID${ev.tpEvento}${ev.chNFe}${ev.nSeqEvento.padStart(2, '0')}`) return ret('572');
    if (!Object.hasOwn(MANIFESTATIONS, ev.tpEvento)) return ret('491');
    const code = ev.tpEvento as ManifestationCode;
    const type = MANIFESTATIONS[code];
    if (ev.verEvento !== '1.00') return ret('492');
    if (!detEventoMatches(ev.detEvento, type)) return ret('493');

    // The NF-e and the recipient's events on it (NT 2020.001 §6.3.8).
    const company = this.opts.companies.find(author, now);
    const nfe = company?.nfeFacts(ev.chNFe) ?? null;
    if (company === undefined || nfe === null) return ret(this.opts.companies.holderOf(ev.chNFe) === undefined ? '494' : '575');
    const nSeq = Number(ev.nSeqEvento);
    const key = `${ev.chNFe}|${code}|${nSeq}`;
    if (this.registered.has(key)) return ret('573');
    if (nSeq > 2) return ret('594');
    if (code === '210210' && this.concluded.has(ev.chNFe)) return ret('655');
    if (nfe.cSitNFe !== '1') return ret(code === '210220' ? '651' : '650');
    const days = this.deadlines[code];
    if (now - nfe.authorizedAt > days * DAY) return ret('596', `Rejeicao: Evento apresentado fora do prazo: ${days} dias`);
    if (Date.parse(ev.dhEvento) > now + FUTURE_TOLERANCE_MS) return ret('578');

    const registered = ret('135');
    registered.ret.xEvento = type.descEvento;
    registered.ret.CNPJDest = author;
    registered.register = () => {
      const nProt = `891${dhBrasilia(now).slice(2, 4)}${String(++this.protSeq).padStart(10, '0')}`;
      const dueAt = now + this.delayMs;
      const released = type.releasesFull && company.scheduleFull(ev.chNFe, dueAt);
      const view: SimEventView = {
        nProt,
        cnpj: author,
        chNFe: ev.chNFe,
        tpEvento: code,
        nSeqEvento: nSeq,
        dhEvento: ev.dhEvento,
        dhRegEvento: registered.ret.dhRegEvento,
        at: now,
        signerCnpj,
        idLote,
        fullDocumentAt: released ? dueAt : null,
      };
      this.registered.set(key, view);
      if (type.conclusive) this.concluded.add(ev.chNFe);
      return view;
    };
    return registered;
  }

  private trustedCa(): X509Certificate | null {
    if (this.ca === undefined) {
      try {
        this.ca = new X509Certificate(readFileSync(this.opts.trustedCaFile));
      } catch {
        this.ca = null;
      }
    }
    return this.ca;
  }
}

/** detEvento against the event's own schema (e210200…e210240_v1.00.xsd). */
function detEventoMatches(det: EventoFields['detEvento'], type: Manifestation): boolean {
  if (det.versao !== '1.00' || det.descEvento !== type.descEvento) return false;
  const names = det.elements.join();
  if (names === 'descEvento') return type.xJust !== 'required';
  if (names !== 'descEvento,xJust' || type.xJust === 'absent' || det.xJust === undefined) return false;
  const length = [...det.xJust].length;
  return length >= 15 && length <= 255 && XJUST.test(det.xJust);
}
