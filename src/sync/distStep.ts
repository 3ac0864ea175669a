import type { CompanyConfig, Config } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { writeDocumentFile } from '../output/documentFiles.js';
import {
  applyDistAnswer, applyDistFailure, beginDistCall, decideDist, recoverInterruptedCall,
  type DistDecision, type DistFailure, type Effect,
} from '../rules/engine.js';
import type { CompanyState, Stop } from '../rules/state.js';
import { windowStatus } from '../rules/window.js';
import { buildDistEnvelope } from '../sefaz/envelope.js';
import { ResponseParseError, SoapFaultError } from '../sefaz/errors.js';
import { parseDistResponse } from '../sefaz/response.js';
import type { DistResult } from '../sefaz/types.js';
import type { CallRecord, GapInput, StoredDocumentRef } from '../store/index.js';
import { HttpStatusError, TransportError } from '../transport/errors.js';
import { CertificateUnusableError, type CertificateEvents, type CompanyCertificate } from './certificates.js';
import { observeCall, ruleSettingsOf, type SyncContext } from './context.js';

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
 * The certificate's dates are not the rules' business here: the certificate cache checks
 * them on every use, against the file as it is now (a renewed .pfx counts at once).
 */
function decideNow(ctx: SyncContext, company: CompanyConfig, state: CompanyState): DistDecision {
  return decisionFor(ctx.config, company, state, null, ctx.clock.now());
}

/** How long a company paused for its certificate waits before the file is looked at again. */
const CERTIFICATE_RECHECK_MS = 60_000;

/** Stops a new .pfx (or a fixed password) cures: our checks of the file, and SEFAZ refusing the certificate (280–286). */
export function isCertificateStop(stop: Stop): boolean {
  return stop.code.startsWith('CERT_') || stop.code === 'PASSWORD_UNAVAILABLE' || stop.code === 'CERTIFICATE_REJECTED';
}

/**
 * A certificate stop keeps the company scheduled: its step looks at the file again every
 * CERTIFICATE_RECHECK_MS and lifts the stop itself. The rules have no word for this wait;
 * the stored stop is what status shows.
 */
function scheduled(ctx: SyncContext, decision: DistDecision): DistDecision {
  if (decision.kind !== 'stopped' || !isCertificateStop({ code: decision.code, message: decision.reason })) return decision;
  return { kind: 'wait', until: ctx.clock.now() + CERTIFICATE_RECHECK_MS, reason: 'backoff' };
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Logs and notifies what the cache finds when a company's .pfx is replaced on disk. */
function certificateEvents(ctx: SyncContext): CertificateEvents {
  return {
    replaced(company, current, previous) {
      ctx.logger.info(
        { cnpj: company.cnpj, file: company.certificate.pfx, fingerprint256: current.fingerprint256 },
        `certificate ${company.certificate.pfx} replaced on disk: now using the one of CNPJ ${current.cnpj ?? '(none)'} valid until ${day(current.notAfter.getTime())} (the previous one was valid until ${day(previous.notAfter.getTime())})`,
      );
    },
    rejected(company, r) {
      const kept = r.kept === null
        ? 'and the previous certificate cannot serve either'
        : `still using the previous certificate, valid until ${day(r.kept.notAfter.getTime())}`;
      const message = `the new content of certificate file ${r.file} was rejected: ${r.error.message}; ${kept}. It is tried again when the file changes`;
      ctx.logger.error({ cnpj: company.cnpj, code: r.error.code, file: r.file }, message);
      ctx.notify({
        kind: 'certificate-rejected', cnpj: company.cnpj, roles: ['technical'],
        dedupeKey: `cert-rejected:${company.cnpj}:${r.file}:${r.version}`,
        message: `CNPJ ${company.cnpj} (${company.name}): ${message}`,
        data: { file: r.file, code: r.error.code, keptNotAfter: r.kept === null ? null : r.kept.notAfter.toISOString() },
      });
    },
  };
}

/**
 * No certificate may serve the company: it is stopped with the reason (status shows it),
 * makes no call, and its step looks at the file again in a minute. Logged and notified
 * when the reason is new.
 */
function pauseForCertificate(ctx: SyncContext, company: CompanyConfig, state: CompanyState, err: CertificateUnusableError): StepResult {
  const cnpj = company.cnpj;
  const fix = err.code === 'PASSWORD_UNAVAILABLE'
    ? "Once the certificate's password can be read"
    : `Drop the new .pfx in place of ${err.file} (same path and password)`;
  const stop: Stop = {
    code: err.code,
    message: `stopped: ${err.message}. ${fix}: syncing resumes on its own within a minute, without a restart`,
  };
  if (state.stopped?.code !== stop.code || state.stopped.message !== stop.message) {
    ctx.store.saveState(cnpj, { ...state, stopped: stop });
    ctx.logger.error({ cnpj, code: err.code, file: err.file }, `company paused: ${err.message}`);
    const expired = err.code === 'CERT_EXPIRED';
    ctx.notify({
      kind: expired ? 'certificate-expired' : 'certificate-rejected',
      cnpj,
      roles: ['technical'],
      // The same key as the notification producers' expiry notice: the company is told once.
      dedupeKey: expired && err.notAfter !== null
        ? `cert-expired:${cnpj}:${new Date(err.notAfter).toISOString()}`
        : `cert-rejected:${cnpj}:${err.file}:${err.version}`,
      message: `CNPJ ${cnpj} (${company.name}) paused, no calls until fixed: ${stop.message}`,
      data: { file: err.file, code: err.code, ...(err.notAfter === null ? {} : { notAfter: new Date(err.notAfter).toISOString() }) },
    });
  }
  return { called: false, next: scheduled(ctx, { kind: 'stopped', code: stop.code, reason: stop.message }) };
}

type CertificateCheck = { ok: true; certificate: CompanyCertificate } | { ok: false; paused: StepResult };

function checkCertificate(ctx: SyncContext, company: CompanyConfig, state: CompanyState): CertificateCheck {
  try {
    return { ok: true, certificate: ctx.certificates.get(company, certificateEvents(ctx)) };
  } catch (err) {
    if (!(err instanceof CertificateUnusableError)) throw err;
    return { ok: false, paused: pauseForCertificate(ctx, company, state, err) };
  }
}

/** Whether `certificate` is the one SEFAZ saw (and refused) on the last call. */
function sameAsLastCall(ctx: SyncContext, cnpj: string, certificate: CompanyCertificate): boolean {
  const saved = ctx.store.getCompany(cnpj)?.certificate ?? null;
  return saved !== null && saved.file === certificate.file && saved.mtimeMs === certificate.mtimeMs;
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
  let certificate: CompanyCertificate | null = null;
  if (state.stopped !== null && isCertificateStop(state.stopped)) {
    const checked = checkCertificate(ctx, company, state);
    if (!checked.ok) return checked.paused;
    // SEFAZ refused a certificate our checks accept: only another file can cure that.
    if (state.stopped.code === 'CERTIFICATE_REJECTED' && sameAsLastCall(ctx, cnpj, checked.certificate)) {
      return { called: false, next: scheduled(ctx, decideNow(ctx, company, state)) };
    }
    logger.info(
      { cnpj, code: state.stopped.code, file: checked.certificate.file },
      `certificate usable again (CNPJ ${checked.certificate.certificate.cnpj ?? '(none)'}, valid until ${day(checked.certificate.certificate.notAfter.getTime())}): resuming the company stopped for: ${state.stopped.message}`,
    );
    state = { ...state, stopped: null };
    store.saveState(cnpj, state);
    certificate = checked.certificate;
  }
  const decision = decideNow(ctx, company, state);
  if (decision.kind === 'stopped') return { called: false, next: decision };
  if (decision.kind === 'wait') return { called: false, next: decision };

  if (certificate === null) {
    const checked = checkCertificate(ctx, company, state);
    if (!checked.ok) return checked.paused;
    certificate = checked.certificate;
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
    observeCall(ctx, cnpj, 'distNSU', null);
    const after = scheduled(ctx, decideNow(ctx, company, next));
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
  let inserted: StoredDocumentRef[] = [];
  if (result.docs.length > 0 && (result.cStat === '138' || result.cStat === '137')) {
    const committed = store.commitDistBatch(cnpj, { docs: result.docs, state: outcome.state, call, gaps, autoManifest: company.manifest === 'ciencia' });
    inserted = committed.inserted;
    stored = inserted.length;
    if (ctx.outputDir !== null) writeOutput(ctx, cnpj, committed.inserted.map((ref) => ({ ref, gzip: result.docs[ref.index]!.gzip })));
  } else {
    store.recordCall(cnpj, outcome.state, call, gaps);
  }

  const after = scheduled(ctx, decideNow(ctx, company, outcome.state));
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
