import type { DocKind } from '../sefaz/types.js';

/** All times in the store are milliseconds since the epoch, as `Clock.now()` gives them. */
export type EpochMs = number;

export type CallOp = 'distNSU' | 'consNSU' | 'consChNFe' | 'envEvento';
export type TargetedOp = 'consNSU' | 'consChNFe';

/** A company as the configuration describes it; the store keeps it beside its state. */
export interface CompanyInput<S> {
  cnpj: string;
  name: string;
  enabled: boolean;
  /** The capture window as the operator wrote it (CaptureWindow.text). */
  window: string;
  /** The rule state a company starts with; used only when the store has never seen it. */
  initialState: S;
}

/** One SEFAZ call, as the call log and the company's "last call" keep it. */
export interface CallRecord {
  /** When the call was sent. */
  at: EpochMs;
  op: CallOp;
  /** The NSU the request carried (ultNSU of a distNSU, NSU of a consNSU). */
  requestNSU?: string | null;
  /** The key a consChNFe asked for. */
  requestChNFe?: string | null;
  /** null when no answer was understood (lost, unparsable, transport failure). */
  cStat: string | null;
  xMotivo: string | null;
  /** As the answer gave them; null when absent. */
  ultNSU?: string | null;
  maxNSU?: string | null;
  /** Documents in the answer. */
  docs: number;
  /** Duration of the call. */
  ms: number;
  /** The stable code of the failure (a DfeSyncError code), null on an answer. */
  error?: string | null;
}

export interface StoredCall extends Required<CallRecord> {
  id: number;
  cnpj: string;
}

export interface LastCall {
  at: EpochMs;
  op: CallOp;
  cStat: string | null;
  xMotivo: string | null;
  docs: number;
  ms: number;
  error: string | null;
}

/** What `status` shows of a certificate without opening it (no password needed). */
export interface CertificateFactsRecord {
  /** The CNPJ the certificate names, null when it names none. */
  cnpj: string | null;
  subject: string;
  notAfter: EpochMs;
  file: string;
  /** The .pfx's modification time when it was read: a changed file is read again. */
  mtimeMs: number;
}

export interface CompanyRecord<S> {
  cnpj: string;
  name: string;
  enabled: boolean;
  window: string;
  state: S;
  ultNSU: string | null;
  maxNSU: string | null;
  nextDistAt: EpochMs | null;
  nextDistReason: string | null;
  blockedUntil: EpochMs | null;
  /** Why the company stopped until the operator acts; null while it runs. */
  stopped: string | null;
  /** Documents stored for it (kept in step by every commit). */
  documents: number;
  lastCall: LastCall | null;
  certificate: (CertificateFactsRecord & { savedAt: EpochMs }) | null;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

/** A document committed by this batch (duplicates of stored ones are not listed). */
export interface StoredDocumentRef {
  id: number;
  /** Position of the document in the batch handed to commitDistBatch. */
  index: number;
  NSU: string | null;
  kind: DocKind;
  chNFe: string | null;
}

/** A stored document, as export reads it back. */
export interface StoredDocument {
  id: number;
  cnpj: string;
  NSU: string | null;
  kind: DocKind;
  schema: string;
  chNFe: string | null;
  /** The docZip bytes exactly as received (base64-decoded). */
  gzip: Buffer;
  decodeError: string | null;
  receivedAt: EpochMs;
  sourceOp: CallOp;
}

/** NSUs another system consumed from the shared sequence: to fetch with consNSU. */
export interface GapInput {
  fromNSU: string;
  toNSU: string;
  note?: string | null;
}

export interface Gap {
  id: number;
  cnpj: string;
  fromNSU: string;
  toNSU: string;
  foundAt: EpochMs;
  closedAt: EpochMs | null;
  note: string | null;
}

export interface LeaseHolder {
  host: string;
  pid: number;
  /** Unique per running store user (e.g. a random id per daemon start). */
  id: string;
}

export interface Lease extends LeaseHolder {
  cnpj: string;
  acquiredAt: EpochMs;
  renewedAt: EpochMs;
  expiresAt: EpochMs;
}

export interface AcquireResult {
  acquired: string[];
  refused: { cnpj: string; holder: Lease }[];
}

import type { EventCode } from '../sefaz/events.js';
export type { EventCode };

export interface ManifestationInput {
  chNFe: string;
  tpEvento: EventCode;
  nSeqEvento?: number;
  xJust?: string | null;
  origin: 'auto' | 'manual';
}

/** pending → sending → done (registered, duplicate, …) or failed (rejected for good); back to pending to retry. */
export type ManifestationState = 'pending' | 'sending' | 'done' | 'failed';

export interface Manifestation {
  cnpj: string;
  chNFe: string;
  tpEvento: EventCode;
  nSeqEvento: number;
  xJust: string | null;
  origin: 'auto' | 'manual';
  state: ManifestationState;
  outcome: string | null;
  cStat: string | null;
  xMotivo: string | null;
  nProt: string | null;
  dhRegEvento: string | null;
  attempts: number;
  nextAttemptAt: EpochMs;
  queuedAt: EpochMs;
  sentAt: EpochMs | null;
  doneAt: EpochMs | null;
}

export interface ManifestationResult {
  state: ManifestationState;
  outcome?: string | null;
  cStat?: string | null;
  xMotivo?: string | null;
  nProt?: string | null;
  dhRegEvento?: string | null;
  /** when a pending one may be tried again */
  nextAttemptAt?: EpochMs;
}

export type TargetedReason = 'manual' | 'gap' | 'full-missing';
export type TargetedState = 'pending' | 'sending' | 'done' | 'unavailable';

export interface TargetedInput {
  op: TargetedOp;
  /** the NSU (15 digits) of a consNSU, the key of a consChNFe */
  value: string;
  reason: TargetedReason;
  gapId?: number | null;
}

export interface TargetedItem extends Required<TargetedInput> {
  id: number;
  cnpj: string;
  state: TargetedState;
  cStat: string | null;
  xMotivo: string | null;
  meaning: string | null;
  attempts: number;
  nextAttemptAt: EpochMs;
  queuedAt: EpochMs;
  doneAt: EpochMs | null;
}

export interface TargetedResult {
  state: TargetedState;
  cStat?: string | null;
  xMotivo?: string | null;
  meaning?: string | null;
  nextAttemptAt?: EpochMs;
}

/** A summary (resNFe) whose full NF-e is not stored, with its manifestation if any. */
export interface PendingSummary {
  cnpj: string;
  chNFe: string;
  emitterName: string | null;
  vNF: string | null;
  dhEmi: string | null;
  cSitNFe: string | null;
  receivedAt: EpochMs;
  manifestation: Pick<Manifestation, 'tpEvento' | 'state' | 'outcome' | 'cStat' | 'xMotivo' | 'nProt' | 'doneAt'> | null;
  /** the newest targeted query for this key, if any */
  fetch: Pick<TargetedItem, 'state' | 'cStat' | 'meaning'> | null;
}
