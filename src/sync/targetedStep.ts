import type { CompanyConfig } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { backoffDelay } from '../rules/backoff.js';
import { applyTargetedAnswer, decideTargeted, recordTargetedCall } from '../rules/engine.js';
import { windowStatus } from '../rules/window.js';
import { describeCStat } from '../sefaz/catalog.js';
import { buildDistEnvelope } from '../sefaz/envelope.js';
import { formatNSU } from '../sefaz/identifiers.js';
import { parseDistResponse } from '../sefaz/response.js';
import type { DistQuery, DistResult } from '../sefaz/types.js';
import type { CallRecord, TargetedInput, TargetedItem, TargetedResult } from '../store/index.js';
import { observeCall, ruleSettingsOf, type SyncContext } from './context.js';
import { CertificateUnusableError } from './certificates.js';
import { failureOf, logEffects, writeOutput } from './distStep.js';

/** NSUs of one gap queued at most: SEFAZ keeps documents 90 days, a wider gap is out of reach anyway. */
const MAX_GAP_QUERIES = 2000;
const HOUR_MS = 3_600_000;
/** A paused company's queue looks for a usable certificate again this often. */
const CERTIFICATE_RECHECK_MS = 60_000;

/** What a targeted answer means for the query that asked it. */
function resultOf(item: TargetedItem, result: DistResult, blocked: boolean, retryAt: number): TargetedResult {
  const { cStat, xMotivo } = result;
  if (cStat === '138') return { state: 'done', cStat, xMotivo };
  const info = describeCStat(cStat);
  if (blocked || info.class === 'transient' || cStat === '656') return { state: 'pending', cStat, xMotivo, nextAttemptAt: retryAt };
  const what = item.op === 'consChNFe' ? `NF-e ${item.value}` : `NSU ${item.value}`;
  const meaning = cStat === '137' ? `${what} not found for this CNPJ` : `${what}: ${info.text}`;
  return { state: 'unavailable', cStat, xMotivo, meaning };
}

/** Queues the NSUs of gaps another system left, oldest first, and the full NF-e late after ciência. */
function queueDerivedWork(ctx: SyncContext, company: CompanyConfig): void {
  const { store, clock, logger } = ctx;
  const cnpj = company.cnpj;
  for (const gap of store.gapsToQueue(cnpj)) {
    const to = BigInt(gap.toNSU);
    const count = Number(to - BigInt(gap.fromNSU) + 1n);
    // The newest NSUs are the ones SEFAZ still has (it keeps documents 90 days).
    let from = BigInt(gap.fromNSU);
    if (count > MAX_GAP_QUERIES) from = to - BigInt(MAX_GAP_QUERIES) + 1n;
    const items: TargetedInput[] = [];
    for (let n = from; n <= to; n++) items.push({ op: 'consNSU', value: formatNSU(n), reason: 'gap', gapId: gap.id });
    store.queueTargeted(cnpj, items);
    // NSUs already waiting (a manual fetch --nsu) count for the gap too
    const waiting = store.linkGapQueries(gap.id, cnpj, formatNSU(from), gap.toNSU);
    if (waiting === 0) {
      store.closeGapIfDone(gap.id, clock.now());
      logger.warn({ cnpj, fromNSU: gap.fromNSU, toNSU: gap.toNSU }, `gap ${gap.fromNSU}..${gap.toNSU}: nothing left to fetch, closed`);
      continue;
    }
    logger.warn({ cnpj, fromNSU: gap.fromNSU, toNSU: gap.toNSU, queued: waiting },
      count > items.length
        ? `gap ${gap.fromNSU}..${gap.toNSU}: queued the newest ${items.length} of ${count} NSUs for consNSU (older ones are past SEFAZ's 90 days)`
        : `gap ${gap.fromNSU}..${gap.toNSU}: queued ${waiting} consNSU to fetch what another system took`);
  }
  const hours = ctx.config.rules.fetchFullAfterHours;
  if (hours > 0) {
    const keys = store.keysMissingFull(cnpj, clock.now() - hours * HOUR_MS, 100);
    if (keys.length > 0) {
      store.queueTargeted(cnpj, keys.map((k) => ({ op: 'consChNFe' as const, value: k, reason: 'full-missing' as const })));
      logger.info({ cnpj, keys: keys.length }, `${keys.length} NF-e still without their full XML ${hours} h after ciência: queued for consChNFe`);
    }
  }
}

/**
 * One consNSU/consChNFe from the company's queue, when the hourly budget (counted in the
 * rule state before the call leaves) and any 656 block allow it. Returns when the queue
 * may go on, or null when it is empty.
 */
export async function targetedStep(ctx: SyncContext, company: CompanyConfig): Promise<number | null> {
  const { store, clock, logger } = ctx;
  const cnpj = company.cnpj;
  queueDerivedWork(ctx, company);
  const now = clock.now();
  const item = store.nextTargeted(cnpj, now);
  if (item === null) return store.nextTargetedAt(cnpj);

  const settings = ruleSettingsOf(ctx.config, company.targetedPerHour);
  const record = store.getCompany(cnpj)!;
  let state = record.state;
  const window = windowStatus(company.window.ranges, ctx.config.timezone, now);
  const decision = decideTargeted(state, { now, window, settings });
  if (!decision.allowed) return decision.until;

  let certificate;
  try {
    certificate = ctx.certificates.get(company);
  } catch (err) {
    // the distNSU step pauses the company and says why; the queue waits for a usable certificate
    if (err instanceof CertificateUnusableError) return now + CERTIFICATE_RECHECK_MS;
    throw err;
  }
  state = recordTargetedCall(state, now, settings);
  store.saveState(cnpj, state);
  store.recordTargetedCall(cnpj, item.op, now);
  store.markTargetedSending(item.id);

  const query: DistQuery = item.op === 'consNSU' ? { kind: 'consNSU', NSU: item.value } : { kind: 'consChNFe', chNFe: item.value };
  const envelope = buildDistEnvelope({ tpAmb: ctx.config.tpAmb, cUFAutor: company.cUFAutor, interested: { CNPJ: cnpj }, query });
  const call: CallRecord = {
    at: now, op: item.op, cStat: null, xMotivo: null, docs: 0, ms: 0,
    ...(item.op === 'consNSU' ? { requestNSU: item.value } : { requestChNFe: item.value }),
  };
  let result: DistResult;
  try {
    const answer = await ctx.transport.post({
      url: ctx.config.sefaz.urls.distribuicao, identity: certificate.identity, body: envelope.body,
      contentType: envelope.contentType, ...(envelope.soapAction === undefined ? {} : { soapAction: envelope.soapAction }),
    });
    call.ms = answer.ms;
    result = parseDistResponse(answer.body);
  } catch (err) {
    if (failureOf(err) === null) {
      // not a failed call but a bug or a database error: the query goes back to the queue
      store.finishTargeted(item.id, { state: 'pending' }, clock.now());
      throw err;
    }
    const at = clock.now();
    const retryAt = at + backoffDelay(item.attempts + 1, settings, ctx.random);
    store.recordCall(cnpj, state, { ...call, ms: at - now, error: (err as DfeSyncError).code }, undefined, { id: item.id, result: { state: 'pending', nextAttemptAt: retryAt } });
    observeCall(ctx, cnpj, item.op, null);
    logger.warn({ cnpj, op: item.op, value: item.value, error: (err as DfeSyncError).code, nextAt: new Date(retryAt).toISOString() }, (err as Error).message);
    return store.nextTargetedAt(cnpj);
  }

  const receivedAt = clock.now();
  const outcome = applyTargetedAnswer(state, { cStat: result.cStat, xMotivo: result.xMotivo }, receivedAt, settings);
  const blocked = outcome.state.blockedUntil !== null && outcome.state.blockedUntil > receivedAt;
  const itemResult = resultOf(item, result, blocked, outcome.state.blockedUntil ?? receivedAt + backoffDelay(item.attempts + 1, settings, ctx.random));
  const done = { ...call, cStat: result.cStat, xMotivo: result.xMotivo, docs: result.docs.length, ultNSU: result.ultNSU, maxNSU: result.maxNSU };
  let inserted: { kind: string }[] = [];
  if (result.cStat === '138' && result.docs.length > 0) {
    const committed = store.commitDistBatch(cnpj, {
      docs: result.docs, state: outcome.state, call: done, targeted: { id: item.id, result: itemResult },
      autoManifest: company.manifest === 'ciencia',
    });
    inserted = committed.inserted;
    if (ctx.outputDir !== null) writeOutput(ctx, cnpj, committed.inserted.map((ref) => ({ ref, gzip: result.docs[ref.index]!.gzip })));
  } else {
    store.recordCall(cnpj, outcome.state, done, undefined, { id: item.id, result: itemResult });
  }
  observeCall(ctx, cnpj, item.op, result.cStat, inserted);
  const stored = inserted.length;
  const level = result.cStat === '656' ? 'error' : itemResult.state === 'unavailable' ? 'warn' : 'info';
  logger[level]({
    cnpj, op: item.op, value: item.value, reason: item.reason, cStat: result.cStat, xMotivo: result.xMotivo,
    docs: result.docs.length, stored, ms: call.ms, queued: store.countTargetedQueued(cnpj),
  }, itemResult.meaning ?? `${item.op} ${result.cStat} ${result.xMotivo}`);
  logEffects(ctx, company, outcome.effects);
  if (item.gapId !== null) {
    const fetched = store.closeGapIfDone(item.gapId, receivedAt);
    if (fetched !== null) logger.warn({ cnpj, gapId: item.gapId, fetched }, `gap closed: ${fetched} document(s) another system took were fetched with consNSU`);
  }
  // the others may go now even when this one waits for its retry
  return store.nextTargetedAt(cnpj);
}
