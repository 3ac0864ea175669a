import { encodeDocZip } from '../sefaz/docZip.js';
import { formatNSU } from '../sefaz/identifiers.js';
import type { TpAmb } from '../sefaz/endpoints.js';
import { DocumentFactory, type SimDocKind, type SimDocument } from './documents.js';

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
    const floor = this.docs.at(-1)?.receivedAt ?? -Infinity;
    for (let i = 0; i < count; i++) {
      const at = Math.max(floor, count === 1 ? to : Math.round(from + ((to - from) * i) / (count - 1)));
      const doc = this.factory.next(at);
      const nsu = this.docs.length + 1;
      this.docs.push({ ...doc, nsu });
      if (doc.kind === 'resNFe' || doc.kind === 'procNFe') {
        this.nfeByKey.set(doc.chNFe, { latest: nsu - 1, firstReceivedAt: this.factory.nfeReceivedAt(doc.chNFe) ?? at });
      }
    }
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
