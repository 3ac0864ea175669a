import { encodeDocZip } from '../sefaz/docZip.js';
import { formatNSU } from '../sefaz/identifiers.js';
import type { TpAmb } from '../sefaz/endpoints.js';
import { DocumentFactory, type NFeFacts, type NFeSituation, type SimDocKind, type SimDocument } from './documents.js';

const DAY = 24 * 3_600_000;

/** Who made the distNSU call SEFAZ answered last. */
export type Actor = 'client' | 'other-system';

export interface StoredDocument extends SimDocument {
  /** As an integer: NSUs are 1..maxNSU, in the order the AN received the documents. */
  nsu: number;
}

/** One interested CNPJ on SEFAZ's side: its documents and its place in the rules. */
export class Company {
  readonly docs: StoredDocument[] = [];
  private readonly zips: (string | undefined)[] = [];
  /** chNFe → index of the latest resNFe/procNFe of that key, and when the AN first received it. */
  private readonly nfeByKey = new Map<string, { latest: number; firstReceivedAt: number }>();
  private readonly factory: DocumentFactory;
  /** Full NF-e released by a manifestation, each becoming a new NSU at its time (ascending). */
  private readonly pendingFull: { dueAt: number; chNFe: string }[] = [];
  /** Every new document a resNFe of a new NF-e (CompanyOptions.summariesOnly). */
  summariesOnly = false;

  /** SEFAZ's sequence: the ultNSU of the last distNSU answer, whoever got it; null before any. */
  seqUlt: number | null = null;
  /** The ultNSU of the last distNSU SEFAZ processed: repeating it is the retry of a lost answer. */
  lastRequestUlt: number | null = null;
  lastDistAt: number | null = null;
  /** The last distNSU answer had ultNSU == maxNSU: no distNSU for an hour after it. */
  lastDistReachedMax = false;
  lastDistBy: Actor = 'client';
  /** What our client last saw of the sequence: the ultNSU it was given and the one it sent. */
  clientGiven: number | null = null;
  clientRequested: number | null = null;
  /** Another system moved the sequence since our client's last processed distNSU. */
  movedByOther = false;

  blockedUntil: number | null = null;
  blockXMotivo = '';
  /** consNSU/consChNFe times in the rolling hour. */
  targeted: number[] = [];
  scripted: { cStat: '656'; xMotivo?: string }[] = [];

  constructor(
    readonly cnpj: string,
    seed: number,
    tpAmb: TpAmb,
  ) {
    this.factory = new DocumentFactory({ recipient: cnpj, seed, tpAmb });
  }

  /** SEFAZ processed a distNSU `by` someone that sent `requested`: its sequence now stands at `answered`. */
  processedDist(by: Actor, requested: number, answered: number, now: number): void {
    this.seqUlt = answered;
    this.lastRequestUlt = requested;
    this.lastDistAt = now;
    this.lastDistReachedMax = answered === this.maxNSU;
    this.lastDistBy = by;
    this.movedByOther = by === 'other-system';
    if (by === 'client') {
      this.clientGiven = answered;
      this.clientRequested = requested;
    }
  }

  get maxNSU(): number {
    return this.docs.length;
  }

  /**
   * `count` documents received by the AN between `from` and `to`, evenly, in NSU order.
   * Never before the last one: NSUs follow reception order (firstServable relies on it).
   */
  receive(count: number, from: number, to: number): void {
    const floor = this.floor();
    for (let i = 0; i < count; i++) {
      const at = Math.max(floor, count === 1 ? to : Math.round(from + ((to - from) * i) / (count - 1)));
      this.push(this.factory.next(at, this.summariesOnly));
    }
  }

  /** A new NF-e in situation `cSitNFe`, its resNFe received at `at`. */
  issue(cSitNFe: NFeSituation, at: number): StoredDocument {
    return this.push(this.factory.issue(Math.max(this.floor(), at), cSitNFe));
  }

  /** What SEFAZ knows of an NF-e of this CNPJ's documents; null when none of them is about that key. */
  nfeFacts(chNFe: string): NFeFacts | null {
    return this.nfeByKey.has(chNFe) ? this.factory.nfeFacts(chNFe) : null;
  }

  /**
   * A manifestation released the NF-e's procNFe: it becomes a new NSU at `dueAt`
   * (releaseDue). False when there is none to release (denied, already sent or on its way).
   */
  scheduleFull(chNFe: string, dueAt: number): boolean {
    if (!this.nfeByKey.has(chNFe) || !this.factory.claimFull(chNFe)) return false;
    const i = this.pendingFull.findIndex((p) => p.dueAt > dueAt);
    this.pendingFull.splice(i < 0 ? this.pendingFull.length : i, 0, { dueAt, chNFe });
    return true;
  }

  /** Appends the released full NF-e due by `now`, each received at its due time. */
  releaseDue(now: number): void {
    while (this.pendingFull.length > 0 && this.pendingFull[0]!.dueAt <= now) {
      const { dueAt, chNFe } = this.pendingFull.shift()!;
      const doc = this.factory.fullDocument(chNFe, Math.max(this.floor(), dueAt));
      if (doc !== null) this.push(doc);
    }
  }

  /** No document may be received before the last one: NSUs follow reception order (firstServable relies on it). */
  private floor(): number {
    return this.docs.at(-1)?.receivedAt ?? -Infinity;
  }

  private push(doc: SimDocument): StoredDocument {
    const stored = { ...doc, nsu: this.docs.length + 1 };
    this.docs.push(stored);
    if (doc.kind === 'resNFe' || doc.kind === 'procNFe') {
      this.nfeByKey.set(doc.chNFe, { latest: stored.nsu - 1, firstReceivedAt: this.factory.nfeReceivedAt(doc.chNFe) ?? doc.receivedAt });
    }
    return stored;
  }

  doc(nsu: number): StoredDocument | undefined {
    return this.docs[nsu - 1];
  }

  /** The document as a docZip (gzip + base64), encoded once. */
  zip(nsu: number): string {
    let z = this.zips[nsu - 1];
    if (z === undefined) {
      z = encodeDocZip(this.docs[nsu - 1]!.xml);
      this.zips[nsu - 1] = z;
    }
    return z;
  }

  /** The NF-e document of a key (procNFe once there is one), with when the AN received the NF-e. */
  nfe(chNFe: string): { doc: StoredDocument; receivedAt: number } | undefined {
    const found = this.nfeByKey.get(chNFe);
    return found === undefined ? undefined : { doc: this.docs[found.latest]!, receivedAt: found.firstReceivedAt };
  }

  /**
   * The first NSU after `ultNSU` still served: the AN serves only documents it received in
   * the last 90 days (distDFeInt_v1.01.xsd on ultNSU), and NSUs follow reception order.
   */
  firstServable(ultNSU: number, now: number): number {
    const oldest = now - 90 * DAY;
    let lo = ultNSU + 1;
    let hi = this.maxNSU + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.docs[mid - 1]!.receivedAt < oldest) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Counts consNSU/consChNFe in the hour before `now` (the rolling window of rule 3). */
  targetedInHour(now: number): number {
    const since = now - 3_600_000;
    while (this.targeted.length > 0 && this.targeted[0]! <= since) this.targeted.shift();
    return this.targeted.length;
  }

  kinds(): Record<SimDocKind, number> {
    const out: Record<SimDocKind, number> = { resNFe: 0, procNFe: 0, resEvento: 0, procEventoNFe: 0 };
    for (const d of this.docs) out[d.kind]++;
    return out;
  }
}

export const NSU = (n: number): string => formatNSU(String(n));

/**
 * SEFAZ's database of interested CNPJs, shared by the distribution and event services:
 * each company made on first use, with the full NF-e due by then released.
 */
export class CompanyBook {
  private readonly byCnpj = new Map<string, Company>();

  constructor(
    private readonly seed: number,
    private readonly tpAmb: TpAmb,
  ) {}

  at(cnpj: string, now: number): Company {
    let c = this.byCnpj.get(cnpj);
    if (c === undefined) {
      c = new Company(cnpj, this.seed, this.tpAmb);
      this.byCnpj.set(cnpj, c);
    }
    c.releaseDue(now);
    return c;
  }

  /** The company, if it exists (events must not make one for any CNPJ that writes in). */
  find(cnpj: string, now: number): Company | undefined {
    return this.byCnpj.has(cnpj) ? this.at(cnpj, now) : undefined;
  }

  all(now: number): Company[] {
    return [...this.byCnpj.values()].map((c) => this.at(c.cnpj, now));
  }

  /** The company whose documents include an NF-e with this key, if any. */
  holderOf(chNFe: string): Company | undefined {
    for (const c of this.byCnpj.values()) if (c.nfeFacts(chNFe) !== null) return c;
    return undefined;
  }
}
