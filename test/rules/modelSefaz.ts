/**
 * A model of SEFAZ's side of NFeDistribuicaoDFe for one CNPJ, written from DESIGN.md §2
 * without the rule engine, for the property test. It serves two actors: `us` (the engine
 * under test) and `other` (another system querying the same CNPJ). Time is SEFAZ's own:
 * when it processes a request.
 *
 * Besides answering as SEFAZ would (656 for any broken rule, whoever broke it), it judges
 * each of our requests from what we had been told, so that a 656 caused by the other
 * system is told apart from one we caused: `ourFaults` must stay empty.
 */

export const HOUR = 3_600_000;
const LIMIT = 20;
const BATCH = 50;

export type Actor = 'us' | 'other';

export interface ModelAnswer {
  cStat: string;
  ultNSU: number | null;
  maxNSU: number | null;
  /** NSUs of the documents returned */
  docs: number[];
}

export interface Fault {
  at: number;
  rule: string;
  detail: string;
}

export class ModelSefaz {
  maxNSU: number;
  /** the ultNSU last returned to anyone: the shared sequence */
  private lastReturned: number | null;
  /** ultNSU of the last served distNSU request: repeating it is the tolerated retry */
  private prevRequest: number | null = null;
  private nothingLeftAt: number | null = null;
  private blockedUntil: number | null = null;
  private readonly targeted: number[] = [];

  // What we (the engine) were told, to judge our requests.
  private ourLastReturned: number | null = null;
  private ourPrevRequest: number | null = null;
  private ourNothingLeftAt: number | null = null;
  private our656At: number | null = null;
  readonly ourTargeted: number[] = [];

  readonly ourFaults: Fault[] = [];
  /** 656s answered to our requests (whoever's fault) */
  ours656 = 0;
  others656 = 0;

  constructor(initialDocs: number, otherAlreadyAt: number | null) {
    this.maxNSU = initialDocs;
    this.lastReturned = otherAlreadyAt;
  }

  addDocuments(n: number): void {
    this.maxNSU += n;
  }

  /** A query during a 656 block restarts the hour, whoever sends it. */
  private blocked(at: number): boolean {
    return this.blockedUntil !== null && at < this.blockedUntil;
  }

  private refuse(actor: Actor, at: number): void {
    this.blockedUntil = at + HOUR;
    if (actor === 'us') this.ours656++;
    else this.others656++;
  }

  private judgeOurDist(ult: number, at: number): void {
    const fault = (rule: string, detail: string): void => {
      this.ourFaults.push({ at, rule, detail });
    };
    if (this.our656At !== null && at < this.our656At + HOUR) fault('656-hour', `distNSU ${at - this.our656At} ms after the 656 we were told of`);
    if (this.ourNothingLeftAt !== null && at < this.ourNothingLeftAt + HOUR) fault('nothing-left-hour', `distNSU ${at - this.ourNothingLeftAt} ms after nothing was left`);
    if (this.ourLastReturned !== null && ult !== this.ourLastReturned && ult !== this.ourPrevRequest) {
      fault('sequence', `distNSU from ${ult}; we were last given ${this.ourLastReturned} (previous request ${this.ourPrevRequest})`);
    }
  }

  distNSU(actor: Actor, ult: number, at: number, delivered: boolean): ModelAnswer {
    if (actor === 'us') this.judgeOurDist(ult, at);
    const outOfSequence = this.lastReturned !== null && ult !== this.lastReturned && ult !== this.prevRequest;
    const inHour = this.nothingLeftAt !== null && at < this.nothingLeftAt + HOUR;
    if (this.blocked(at) || outOfSequence || inHour) {
      this.refuse(actor, at);
      const last = this.lastReturned ?? ult;
      if (actor === 'us' && delivered) {
        this.our656At = at;
        this.ourLastReturned = last;
        this.ourPrevRequest = null;
      }
      return { cStat: '656', ultNSU: last, maxNSU: 0, docs: [] };
    }
    if (ult > this.maxNSU) return { cStat: '589', ultNSU: 0, maxNSU: 0, docs: [] };
    const docs: number[] = [];
    for (let n = ult + 1; n <= Math.min(ult + BATCH, this.maxNSU); n++) docs.push(n);
    const newUlt = docs.length === 0 ? ult : docs[docs.length - 1]!;
    const nothingLeft = docs.length === 0 || newUlt === this.maxNSU;
    this.prevRequest = ult;
    this.lastReturned = newUlt;
    if (nothingLeft) this.nothingLeftAt = at;
    if (actor === 'us') {
      // A lost answer still happened on SEFAZ's side: we are bound by it.
      this.ourPrevRequest = ult;
      this.ourLastReturned = newUlt;
      if (nothingLeft) this.ourNothingLeftAt = at;
    }
    return { cStat: docs.length === 0 ? '137' : '138', ultNSU: newUlt, maxNSU: this.maxNSU, docs };
  }

  consNSU(actor: Actor, nsu: number, at: number, delivered: boolean): ModelAnswer {
    this.targeted.push(at);
    if (actor === 'us') {
      this.ourTargeted.push(at);
      if (this.our656At !== null && at < this.our656At + HOUR) this.ourFaults.push({ at, rule: '656-hour', detail: 'consNSU during a 656 we were told of' });
      const ours = this.ourTargeted.filter((t) => t > at - HOUR).length;
      if (ours > LIMIT) this.ourFaults.push({ at, rule: '20/h', detail: `${ours} of our consNSU within an hour` });
    }
    const inHour = this.targeted.filter((t) => t > at - HOUR).length;
    if (this.blocked(at) || inHour > LIMIT) {
      this.refuse(actor, at);
      if (actor === 'us' && delivered) this.our656At = at;
      return { cStat: '656', ultNSU: null, maxNSU: null, docs: [] };
    }
    return nsu >= 1 && nsu <= this.maxNSU
      ? { cStat: '138', ultNSU: null, maxNSU: null, docs: [nsu] }
      : { cStat: '137', ultNSU: null, maxNSU: null, docs: [] };
  }

  /** The other system's idea of where the sequence is (it follows SEFAZ's answers). */
  get sequence(): number {
    return this.lastReturned ?? 0;
  }
}
