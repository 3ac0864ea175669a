import type { SoapVersion } from '../sefaz/envelope.js';
import { dhBrasilia } from './format.js';
import type { SimCall, SimViolation } from './service.js';

/** Older entries are dropped from the call log past this many (violations are all kept). */
const MAX_CALLS_KEPT = 200_000;

/**
 * Every call the simulator answered (or did not), in arrival order, and the rules the
 * client broke: one log shared by the distribution and event services, so that `seq`
 * orders calls of both.
 */
export class CallLog {
  private readonly callList: SimCall[] = [];
  private readonly violationList: SimViolation[] = [];
  private seq = 0;

  constructor(private readonly onCall?: (call: SimCall) => void) {}

  /** Logs a call with its keys in one order (the CLI prints them as JSON lines) and no undefined ones. */
  record(now: number, soap: SoapVersion, f: Partial<Omit<SimCall, 'seq' | 'at' | 'time' | 'soap'>>): SimCall {
    const call: SimCall = {
      seq: ++this.seq,
      at: now,
      time: dhBrasilia(now),
      cnpj: f.cnpj ?? null,
      op: f.op ?? null,
      ultNSU: f.ultNSU,
      NSU: f.NSU,
      chNFe: f.chNFe,
      cStat: f.cStat ?? null,
      xMotivo: f.xMotivo ?? null,
      docs: f.docs ?? 0,
      answerUltNSU: f.answerUltNSU,
      answerMaxNSU: f.answerMaxNSU,
      idLote: f.idLote,
      events: f.events,
      soap,
      rule: f.rule ?? null,
      cause: f.cause ?? null,
      violation: f.violation ?? false,
      fault: f.fault,
      answerLost: f.answerLost,
    };
    for (const key of Object.keys(call) as (keyof SimCall)[]) if (call[key] === undefined) delete call[key];
    this.callList.push(call);
    if (this.callList.length > MAX_CALLS_KEPT) this.callList.splice(0, this.callList.length - MAX_CALLS_KEPT);
    this.onCall?.(call);
    return call;
  }

  violation(v: SimViolation): void {
    this.violationList.push(v);
  }

  calls(): readonly SimCall[] {
    return this.callList;
  }

  violations(): readonly SimViolation[] {
    return this.violationList;
  }
}
