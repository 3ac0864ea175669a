import { statSync } from 'node:fs';
import type { CompanyConfig, Config } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { writeDocumentFile } from '../output/documentFiles.js';
import {
  applyDistAnswer, applyDistFailure, beginDistCall, decideDist, recoverInterruptedCall,
  type DistDecision, type DistFailure, type Effect,
} from '../rules/engine.js';
import type { CompanyState } from '../rules/state.js';
import { windowStatus } from '../rules/window.js';
import { buildDistEnvelope } from '../sefaz/envelope.js';
import { ResponseParseError, SoapFaultError } from '../sefaz/errors.js';
import { parseDistResponse } from '../sefaz/response.js';
import type { DistResult } from '../sefaz/types.js';
import type { CallRecord, GapInput, StoredDocumentRef } from '../store/index.js';
import { HttpStatusError, TransportError } from '../transport/errors.js';
import { ruleSettingsOf, type SyncContext } from './context.js';

export interface StepResult {
  /** whether a distNSU was sent */
  called: boolean;
  /** the decision that holds after this step: when the company may call next, and why */
  next: DistDecision;
}

/** The company's state, with a distNSU a crash left in flight turned into a lost answer. */
function currentState(ctx: SyncContext, company: CompanyConfig): CompanyState {
  const record = ctx.store.getCompany(company.cnpj);
  if (record === null) throw new DfeSyncError('COMPANY_UNKNOWN', `CNPJ ${company.cnpj} is not in the state database`);
  const settings = ruleSettingsOf(ctx.config, company.targetedPerHour);
  const recovered = recoverInterruptedCall(record.state, ctx.clock.now(), settings, ctx.random);
  if (recovered.state !== record.state) {
    ctx.store.saveState(company.cnpj, recovered.state);
    logEffects(ctx, company, recovered.effects);
  }
  return recovered.state;
}

/** What the rules allow a company at `now`, from its stored record (status uses it too). */
export function decisionFor(
  config: Config,
  company: CompanyConfig,
  state: CompanyState,
  certificateNotAfter: number | null,
  now: number,
): DistDecision {
  return decideDist(state, {
    now,
    window: windowStatus(company.window.ranges, config.timezone, now),
    settings: ruleSettingsOf(config, company.targetedPerHour),
    startNSU: company.startNSU,
    ...(certificateNotAfter === null ? {} : { certificateNotAfter }),
  });
}

/**
 * The saved expiry counts only while it describes the file configured now: a renewed
 * .pfx (another path, or the same path rewritten) must get its chance, or a company
 * stopped for an expired certificate would stay stopped after the renewal.
 */
function currentCertificateExpiry(ctx: SyncContext, company: CompanyConfig): number | null {
  const saved = ctx.store.getCompany(company.cnpj)?.certificate ?? null;
  if (saved === null || saved.file !== company.certificate.pfx) return null;
  try {
    return statSync(saved.file).mtimeMs === saved.mtimeMs ? saved.notAfter : null;
  } catch {
    return null;
  }
}

function decideNow(ctx: SyncContext, company: CompanyConfig, state: CompanyState): DistDecision {
  return decisionFor(ctx.config, company, state, currentCertificateExpiry(ctx, company), ctx.clock.now());
}

/** How a failed call counts for the rules, or null for an error that is not a call's failure (a bug). */
export function failureOf(err: unknown): DistFailure | null {
  if (err instanceof HttpStatusError) return { phase: err.phase, httpStatus: err.status };
  if (err instanceof TransportError) return { phase: err.phase };
  // The server answered but we cannot read it: SEFAZ may have processed the request.
  if (err instanceof ResponseParseError || err instanceof SoapFaultError) return { phase: 'after-send' };
  return null;
}

export function logEffects(ctx: SyncContext, company: CompanyConfig, effects: readonly Effect[]): void {
  for (const e of effects) {
    const log = ctx.logger.child({ cnpj: company.cnpj, effect: e.type });
    switch (e.type) {
      case 'gap':
        log.warn({ fromNSU: e.fromNSU, toNSU: e.toNSU }, `another system took NSUs ${e.fromNSU}..${e.toNSU} of this CNPJ's sequence: recorded as a gap to fetch with consNSU`);
        break;
      case 'ultNSU-adopted':
        log.warn({ fromNSU: e.fromNSU, toNSU: e.toNSU }, `continuing from SEFAZ's ultNSU ${e.toNSU} (ours was ${e.fromNSU}) after the 656 hour`);
        break;
      case 'another-system':
        log.error(e.message);
        ctx.notify({
          kind: 'consumo-indevido', cnpj: company.cnpj, roles: ['technical'],
          dedupeKey: `656:${company.cnpj}:${ctx.clock.now()}`,
          message: `CNPJ ${company.cnpj} (${company.name}) received a 656 (Consumo Indevido) although dfe-sync kept every rule: ${e.message}`,
        });
        break;
      case 'stopped':
        log.error({ code: e.stop.code, cStat: e.stop.cStat }, `company stopped until the operator acts: ${e.stop.message}`);
        break;
      case 'unexpected-answer':
        log.warn({ cStat: e.cStat }, e.message);
        break;
      case 'interrupted-call':
        log.warn({ ultNSU: e.ultNSU }, e.message);
        break;
    }
  }
}

function gapsOf(effects: readonly Effect[]): GapInput[] {
  return effects.flatMap((e) => (e.type === 'gap' ? [{ fromNSU: e.fromNSU, toNSU: e.toNSU, note: 'taken by another system querying this CNPJ' }] : []));
}

/**
 * One step of one company: asks the rules, and when they allow it makes one distNSU and
 * commits its outcome. The cursor moves only in the transaction that stores the batch;
 * the call is marked in flight before it leaves, so a crash at any point is recovered
 * as an answer lost after sending.
 */
export async function distStep(ctx: SyncContext, company: CompanyConfig): Promise<StepResult> {
  const { store, clock, logger } = ctx;
  const cnpj = company.cnpj;
  const settings = ruleSettingsOf(ctx.config, company.targetedPerHour);
  let state = currentState(ctx, company);
  const decision = decideNow(ctx, company, state);
  if (decision.kind === 'stopped') {
    if (state.stopped === null) {
      // A stop the rules derive (an expired certificate) is persisted so status shows it.
      store.saveState(cnpj, { ...state, stopped: { code: decision.code, message: decision.reason } });
      logger.error({ cnpj, code: decision.code }, `company stopped until the operator acts: ${decision.reason}`);
    }
    return { called: false, next: decision };
  }
  if (decision.kind === 'wait') return { called: false, next: decision };

  let certificate;
  try {
    certificate = ctx.certificates.get(company);
  } catch (err) {
    const e = err instanceof DfeSyncError ? err : new DfeSyncError('CERT_ERROR', String(err));
    store.saveState(cnpj, { ...state, stopped: { code: e.code, message: e.message } });
    logger.error({ cnpj, code: e.code }, `company stopped until the operator acts: ${e.message}`);
    return { called: false, next: decideNow(ctx, company, store.getCompany(cnpj)!.state) };
  }
  const saved = store.getCompany(cnpj)?.certificate ?? null;
  if (saved === null || saved.file !== certificate.file || saved.mtimeMs !== certificate.mtimeMs) {
    store.saveCertificateFacts(cnpj, {
      cnpj: certificate.certificate.cnpj,
      subject: certificate.certificate.subject,
      notAfter: certificate.certificate.notAfter.getTime(),
      file: certificate.file,
      mtimeMs: certificate.mtimeMs,
    });
  }

  const ultNSU = decision.ultNSU;
  const sentAt = clock.now();
  state = beginDistCall(state, ultNSU, sentAt);
  store.saveState(cnpj, state);

  const envelope = buildDistEnvelope({
    tpAmb: ctx.config.tpAmb,
    cUFAutor: company.cUFAutor,
    interested: { CNPJ: cnpj },
    query: { kind: 'distNSU', ultNSU },
  });
  let result: DistResult;
  let ms: number;
  try {
    const answer = await ctx.transport.post({
      url: ctx.config.sefaz.urls.distribuicao,
      identity: certificate.identity,
      body: envelope.body,
      contentType: envelope.contentType,
      ...(envelope.soapAction === undefined ? {} : { soapAction: envelope.soapAction }),
    });
    ms = answer.ms;
    result = parseDistResponse(answer.body);
  } catch (err) {
    const failure = failureOf(err);
    if (failure === null) throw err;
    const at = clock.now();
    const next = applyDistFailure(state, failure, at, settings, ctx.random);
    const code = (err as DfeSyncError).code;
    const call: CallRecord = { at: sentAt, op: 'distNSU', requestNSU: ultNSU, cStat: null, xMotivo: null, docs: 0, ms: at - sentAt, error: code };
    store.recordCall(cnpj, next, call);
    const after = decideNow(ctx, company, next);
    logger.warn({
      cnpj, op: 'distNSU', ultNSU, maxNSU: state.maxNSU, cStat: null, xMotivo: null, docs: 0, ms: call.ms,
      error: code, phase: failure.phase, nextAt: nextAtOf(after),
    }, (err as Error).message);
    return { called: true, next: after };
  }

  const receivedAt = clock.now();
  const outcome = applyDistAnswer(state, {
    cStat: result.cStat, xMotivo: result.xMotivo, ultNSU: result.ultNSU, maxNSU: result.maxNSU,
    docs: result.docs.length, requestUltNSU: ultNSU,
  }, receivedAt, settings, ctx.random);
  const call: CallRecord = {
    at: sentAt, op: 'distNSU', requestNSU: ultNSU, cStat: result.cStat, xMotivo: result.xMotivo,
    ultNSU: result.ultNSU, maxNSU: result.maxNSU, docs: result.docs.length, ms, error: null,
  };
  const gaps = gapsOf(outcome.effects);
  let stored = 0;
  if (result.docs.length > 0 && (result.cStat === '138' || result.cStat === '137')) {
    const committed = store.commitDistBatch(cnpj, { docs: result.docs, state: outcome.state, call, gaps, autoManifest: company.manifest === 'ciencia' });
    stored = committed.inserted.length;
    if (ctx.outputDir !== null) writeOutput(ctx, cnpj, committed.inserted.map((ref) => ({ ref, gzip: result.docs[ref.index]!.gzip })));
  } else {
    store.recordCall(cnpj, outcome.state, call, gaps);
  }

  const after = decideNow(ctx, company, outcome.state);
  const line = {
    cnpj, op: 'distNSU', ultNSU: outcome.state.ultNSU, maxNSU: outcome.state.maxNSU, cStat: result.cStat,
    xMotivo: result.xMotivo, docs: result.docs.length, stored, ms, nextAt: nextAtOf(after),
  };
  const draining = after.kind === 'call' && after.reason === 'draining';
  const level = result.cStat === '656' ? 'error' : 'info';
  logger[level](line, draining ? `draining: ultNSU ${line.ultNSU} of maxNSU ${line.maxNSU}` : `distNSU ${result.cStat} ${result.xMotivo}`);
  logEffects(ctx, company, outcome.effects);
  return { called: true, next: after };
}

/**
 * Copies committed documents to output.dir. They are already safe in the database, so a
 * failure here (disk full, permissions) is logged with what to run once it is fixed,
 * and never stops syncing.
 */
export function writeOutput(ctx: SyncContext, cnpj: string, docs: { ref: StoredDocumentRef; gzip: Buffer }[]): void {
  const dir = ctx.outputDir!;
  let failed = 0;
  let firstError: unknown = null;
  for (const { ref, gzip } of docs) {
    try {
      writeDocumentFile(dir, { cnpj, NSU: ref.NSU, kind: ref.kind, chNFe: ref.chNFe, gzip });
    } catch (err) {
      failed++;
      firstError ??= err;
    }
  }
  if (failed > 0) {
    ctx.logger.error(
      { cnpj, failed, err: firstError },
      `could not write ${failed} stored document(s) to output.dir ${dir}: they are safe in the database; once fixed, run: dfe-sync export --out ${dir} --cnpj ${cnpj}`,
    );
  }
}

/** The instant the next distNSU may go, as the logs and status show it. */
export function nextAtOf(decision: DistDecision): string | null {
  if (decision.kind === 'wait') return decision.until === null ? null : new Date(decision.until).toISOString();
  return decision.kind === 'call' ? 'now' : null;
}
