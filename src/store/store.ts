import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../clock.js';
import { createContext, type StoreContext } from './context.js';
import { processIsAlive, type ProcessIsAlive } from './liveness.js';
import { openDatabase } from './open.js';
import { acquireLeases } from './sql/acquireLeases.js';
import { closeGap } from './sql/closeGap.js';
import { commitDistBatch, type CommitResult, type DistBatch } from './sql/commitDistBatch.js';
import { countDocuments } from './sql/countDocuments.js';
import { countDocumentsSince } from './sql/countDocumentsSince.js';
import { getCompany } from './sql/getCompany.js';
import { iterateDocuments } from './sql/iterateDocuments.js';
import { listCalls } from './sql/listCalls.js';
import { listCompanies } from './sql/listCompanies.js';
import { listGaps } from './sql/listGaps.js';
import { listLeases } from './sql/listLeases.js';
import { pruneCalls } from './sql/pruneCalls.js';
import { recordCall } from './sql/recordCall.js';
import { recordTargetedCall } from './sql/recordTargetedCall.js';
import { releaseLeases } from './sql/releaseLeases.js';
import { renewLeases } from './sql/renewLeases.js';
import { saveCertificateFacts } from './sql/saveCertificateFacts.js';
import { saveState } from './sql/saveState.js';
import { targetedCallsSince } from './sql/targetedCallsSince.js';
import { upsertCompanies } from './sql/upsertCompanies.js';
import { dueManifestations, nextManifestationAt } from './sql/dueManifestations.js';
import { finishTargeted, markTargetedSending } from './sql/finishTargeted.js';
import { closeGapIfDone, gapsToQueue, linkGapQueries } from './sql/gapWork.js';
import { listManifestations } from './sql/listManifestations.js';
import { countTargetedQueued, nextTargeted, nextTargetedAt } from './sql/nextTargeted.js';
import { countPendingSummaries, pendingSummaries } from './sql/pendingSummaries.js';
import { queueManifestations } from './sql/queueManifestations.js';
import { queueTargeted } from './sql/queueTargeted.js';
import { resumeInterruptedWork } from './sql/resumeInterruptedWork.js';
import { keysMissingFull } from './sql/keysMissingFull.js';
import { newWork, type WorkMark } from './sql/newWork.js';
import { addNotification, deliveryDone, deliveryFailed, dueDeliveries, nextDeliveryAt, type DueDelivery, type NotificationInput } from './sql/notifications.js';
import { listSuspensions, reactivate, suspend, suspensionOf, type Suspension } from './sql/suspensions.js';
import { addUsage, usageOf } from './sql/usage.js';
import { finishManifestations, markManifestationsSending, type ManifestationKey } from './sql/updateManifestations.js';
import type { RuleStateColumns } from './state.js';
import type {
  AcquireResult,
  CallRecord,
  CertificateFactsRecord,
  CompanyInput,
  CompanyRecord,
  EpochMs,
  Gap,
  GapInput,
  Lease,
  LeaseHolder,
  Manifestation,
  ManifestationInput,
  ManifestationResult,
  PendingSummary,
  TargetedInput,
  TargetedItem,
  TargetedResult,
  StoredCall,
  StoredDocument,
  TargetedOp,
} from './types.js';

export interface OpenStoreOptions {
  /** Times the store writes itself (received_at, updated_at, defaults of `now`). */
  clock?: Clock;
  /** Replaces the check of a stale lease's process (tests). */
  processIsAlive?: ProcessIsAlive;
}

/**
 * The durable state of dfe-sync: one SQLite file, one connection, statements prepared
 * once. `S` is the rules' CompanyState; the store reads only its RuleStateColumns and
 * keeps the rest verbatim. Every method is synchronous (better-sqlite3).
 */
export class Store<S extends RuleStateColumns = RuleStateColumns> {
  private readonly ctx: StoreContext;

  constructor(db: Database.Database, file: string, options: OpenStoreOptions = {}) {
    this.ctx = createContext(db, file, options.clock ?? systemClock, options.processIsAlive ?? processIsAlive);
  }

  get file(): string {
    return this.ctx.file;
  }

  upsertCompanies(companies: readonly CompanyInput<S>[]): { created: string[] } {
    return upsertCompanies(this.ctx, companies);
  }
  /** One company; prefer upsertCompanies for many (one transaction). True when it was new. */
  upsertCompany(company: CompanyInput<S>): boolean {
    return upsertCompanies(this.ctx, [company]).created.length === 1;
  }
  getCompany(cnpj: string): CompanyRecord<S> | null {
    return getCompany<S>(this.ctx, cnpj);
  }
  listCompanies(): CompanyRecord<S>[] {
    return listCompanies<S>(this.ctx);
  }
  saveCertificateFacts(cnpj: string, facts: CertificateFactsRecord): void {
    saveCertificateFacts(this.ctx, cnpj, facts);
  }

  saveState(cnpj: string, state: S): void {
    saveState(this.ctx, cnpj, state);
  }
  commitDistBatch(cnpj: string, batch: DistBatch<S>): CommitResult {
    return commitDistBatch(this.ctx, cnpj, batch);
  }
  recordCall(cnpj: string, state: S, call: CallRecord, gaps?: readonly GapInput[], targeted?: { id: number; result: TargetedResult }): void {
    recordCall(this.ctx, cnpj, state, call, gaps, targeted);
  }
  listCalls(cnpj: string, options?: { since?: EpochMs; limit?: number }): StoredCall[] {
    return listCalls(this.ctx, cnpj, options);
  }
  pruneCalls(before: EpochMs): number {
    return pruneCalls(this.ctx, before);
  }

  recordTargetedCall(cnpj: string, op: TargetedOp, at?: EpochMs): void {
    recordTargetedCall(this.ctx, cnpj, op, at);
  }
  targetedCallsSince(cnpj: string, since: EpochMs): EpochMs[] {
    return targetedCallsSince(this.ctx, cnpj, since);
  }

  countDocuments(cnpj?: string): number {
    return countDocuments(this.ctx, cnpj);
  }
  countDocumentsSince(cnpj: string, since: EpochMs): number {
    return countDocumentsSince(this.ctx, cnpj, since);
  }
  iterateDocuments(options?: { cnpj?: string; afterId?: number }): Generator<StoredDocument, void, undefined> {
    return iterateDocuments(this.ctx, options);
  }

  listGaps(cnpj: string, options?: { openOnly?: boolean }): Gap[] {
    return listGaps(this.ctx, cnpj, options);
  }
  closeGap(id: number, options?: { at?: EpochMs; note?: string }): boolean {
    return closeGap(this.ctx, id, options);
  }

  queueManifestations(cnpj: string, inputs: readonly ManifestationInput[], at?: EpochMs): number {
    return queueManifestations(this.ctx, cnpj, inputs, at);
  }
  dueManifestations(cnpj: string, now: EpochMs, limit: number): Manifestation[] {
    return dueManifestations(this.ctx, cnpj, now, limit);
  }
  nextManifestationAt(cnpj: string): EpochMs | null {
    return nextManifestationAt(this.ctx, cnpj);
  }
  markManifestationsSending(cnpj: string, keys: readonly ManifestationKey[], at: EpochMs): void {
    markManifestationsSending(this.ctx, cnpj, keys, at);
  }
  finishManifestations(cnpj: string, results: readonly { key: ManifestationKey; result: ManifestationResult }[], at: EpochMs): void {
    finishManifestations(this.ctx, cnpj, results, at);
  }
  listManifestations(cnpj: string, chNFe?: string): Manifestation[] {
    return listManifestations(this.ctx, cnpj, chNFe);
  }

  queueTargeted(cnpj: string, inputs: readonly TargetedInput[], at?: EpochMs): number[] {
    return queueTargeted(this.ctx, cnpj, inputs, at);
  }
  nextTargeted(cnpj: string, now: EpochMs): TargetedItem | null {
    return nextTargeted(this.ctx, cnpj, now);
  }
  nextTargetedAt(cnpj: string): EpochMs | null {
    return nextTargetedAt(this.ctx, cnpj);
  }
  countTargetedQueued(cnpj: string): number {
    return countTargetedQueued(this.ctx, cnpj);
  }
  markTargetedSending(id: number): void {
    markTargetedSending(this.ctx, id);
  }
  finishTargeted(id: number, result: TargetedResult, at: EpochMs): void {
    finishTargeted(this.ctx, id, result, at);
  }
  gapsToQueue(cnpj: string): Gap[] {
    return gapsToQueue(this.ctx, cnpj);
  }
  linkGapQueries(gapId: number, cnpj: string, fromNSU: string, toNSU: string): number {
    return linkGapQueries(this.ctx, gapId, cnpj, fromNSU, toNSU);
  }
  closeGapIfDone(gapId: number, at: EpochMs): number | null {
    return closeGapIfDone(this.ctx, gapId, at);
  }
  resumeInterruptedWork(cnpj: string): void {
    resumeInterruptedWork(this.ctx, cnpj);
  }
  keysMissingFull(cnpj: string, registeredBefore: EpochMs, limit: number): string[] {
    return keysMissingFull(this.ctx, cnpj, registeredBefore, limit);
  }
  newWork(mark: WorkMark | null): { cnpjs: string[]; mark: WorkMark } {
    return newWork(this.ctx, mark);
  }
  addUsage(cnpj: string, periodStart: string, calls = 1): number {
    return addUsage(this.ctx, cnpj, periodStart, calls);
  }
  usageOf(cnpj: string, periodStart: string): number {
    return usageOf(this.ctx, cnpj, periodStart);
  }
  suspend(cnpj: string, reason: string, periodStart: string, at: EpochMs): boolean {
    return suspend(this.ctx, cnpj, reason, periodStart, at);
  }
  reactivate(cnpj: string): boolean {
    return reactivate(this.ctx, cnpj);
  }
  suspensionOf(cnpj: string): Suspension | null {
    return suspensionOf(this.ctx, cnpj);
  }
  listSuspensions(): Suspension[] {
    return listSuspensions(this.ctx);
  }
  addNotification(n: NotificationInput, at: EpochMs): boolean {
    return addNotification(this.ctx, n, at);
  }
  dueDeliveries(now: EpochMs, limit: number): DueDelivery[] {
    return dueDeliveries(this.ctx, now, limit);
  }
  deliveryDone(id: number, at: EpochMs): void {
    deliveryDone(this.ctx, id, at);
  }
  deliveryFailed(id: number, error: string, retryAt: EpochMs | null): void {
    deliveryFailed(this.ctx, id, error, retryAt);
  }
  nextDeliveryAt(): EpochMs | null {
    return nextDeliveryAt(this.ctx);
  }
  pendingSummaries(cnpj?: string): PendingSummary[] {
    return pendingSummaries(this.ctx, cnpj);
  }
  countPendingSummaries(cnpj: string): number {
    return countPendingSummaries(this.ctx, cnpj);
  }

  acquireLeases(cnpjs: readonly string[], holder: LeaseHolder, ttlMs: number, now?: EpochMs): AcquireResult {
    return acquireLeases(this.ctx, cnpjs, holder, ttlMs, now);
  }
  renewLeases(cnpjs: readonly string[], holder: LeaseHolder, ttlMs: number, now?: EpochMs): { renewed: string[]; lost: string[] } {
    return renewLeases(this.ctx, cnpjs, holder, ttlMs, now);
  }
  releaseLeases(holder: LeaseHolder, cnpjs?: readonly string[]): number {
    return releaseLeases(this.ctx, holder, cnpjs);
  }
  listLeases(): Lease[] {
    return listLeases(this.ctx);
  }

  close(): void {
    if (this.ctx.db.open) this.ctx.db.close();
  }
}

/** Opens the state database at `file` (created 0600 in a 0700 directory where new) and migrates it. */
export function openStore<S extends RuleStateColumns = RuleStateColumns>(
  file: string,
  options: OpenStoreOptions = {},
): Store<S> {
  return new Store<S>(openDatabase(file), file, options);
}
