/**
 * The rule engine: SEFAZ's usage rules (NT 2014.002, DESIGN.md §2) as pure functions of
 * one CNPJ's state. `decide*` say whether a call may go now and, if not, until when;
 * `apply*` turn what happened into the next state. The cursor (ultNSU) moves only through
 * the state these return, which the store commits with the batch in one transaction.
 *
 * The promise: none of our calls earns a 656. So every hour-long wait runs from our clock
 * after the answer arrived plus a safety margin, and whenever an outcome is unknown the
 * engine assumes the one that forbids more.
 */
import { compareNSU, formatNSU } from '../sefaz/identifiers.js';
import { backoffDelay } from './backoff.js';
import { RuleInputError } from './errors.js';
import {
  MAX_DOCS_PER_BATCH, guardedHour, targetedLimit,
  type CompanyState, type DistWaitReason, type RuleSettings, type Stop,
} from './state.js';
import { certificateExpiredStop, stopForCStat } from './stops.js';
import type { WindowStatus } from './window.js';

export type Effect =
  /** NSUs another system took from the shared sequence: fetch them with consNSU */
  | { type: 'gap'; fromNSU: string; toNSU: string }
  /** the cursor was set to the ultNSU a 656 carried (forwards or backwards) */
  | { type: 'ultNSU-adopted'; fromNSU: string; toNSU: string }
  | { type: 'another-system'; message: string }
  | { type: 'stopped'; stop: Stop }
  /** an answer the engine could not use as it came: log it */
  | { type: 'unexpected-answer'; cStat: string; message: string }
  /** a distNSU found in flight after a restart, treated as an answer lost after sending */
  | { type: 'interrupted-call'; ultNSU: string; message: string };

export interface Outcome {
  state: CompanyState;
  effects: Effect[];
}

export interface DecisionContext {
  now: number;
  window: WindowStatus;
  settings: RuleSettings;
  /** the certificate's notAfter; at or past it the company is stopped */
  certificateNotAfter?: number;
  /** the first ultNSU to send when SEFAZ never answered this CNPJ (default 0) */
  startNSU?: string;
}

export type DistCallReason = 'first' | 'draining' | 'check' | 'retry';
export type DistBlockReason = 'blocked-656' | 'outside-window' | 'call-in-flight';

export type DistDecision =
  | { kind: 'call'; ultNSU: string; reason: DistCallReason }
  /** until null: nothing the clock can end (a window that never opens, a call in flight) */
  | { kind: 'wait'; until: number | null; reason: DistWaitReason | DistBlockReason }
  | { kind: 'stopped'; code: string; cStat?: string; reason: string };

export type TargetedDecision =
  | { allowed: true }
  | {
      allowed: false;
      until: number | null;
      reason: 'blocked-656' | 'outside-window' | 'targeted-limit' | 'stopped';
      detail?: string;
    };

export interface DistAnswer {
  cStat: string;
  xMotivo?: string;
  ultNSU: string | null;
  maxNSU: string | null;
  /** how many documents came (for the words of an unexpected answer) */
  docs: number;
  /** the ultNSU the request carried */
  requestUltNSU: string;
}

export interface DistFailure {
  /** before-send: DNS, connection refused, TLS handshake; after-send: timeout, reset, truncated or unparsable body */
  phase: 'before-send' | 'after-send';
  httpStatus?: number;
}

function stopOf(state: CompanyState, ctx: DecisionContext): Stop | null {
  if (state.stopped !== null) return state.stopped;
  if (ctx.certificateNotAfter !== undefined && ctx.now >= ctx.certificateNotAfter) {
    return certificateExpiredStop(ctx.certificateNotAfter);
  }
  return null;
}

function isBlocked(state: CompanyState, now: number): state is CompanyState & { blockedUntil: number } {
  return state.blockedUntil !== null && now < state.blockedUntil;
}

/** More documents are certain to remain even if the last batch sent reached as far as it could. */
function documentsCertainlyRemain(state: CompanyState): boolean {
  if (state.ultNSU === null || state.maxNSU === null) return false;
  return BigInt(state.maxNSU) - BigInt(state.ultNSU) > BigInt(MAX_DOCS_PER_BATCH);
}

function callReason(state: CompanyState): DistCallReason {
  if (state.failures > 0) return 'retry';
  if (!state.answered) return 'first';
  const remain = state.ultNSU !== null && state.maxNSU !== null && compareNSU(state.ultNSU, state.maxNSU) < 0;
  return remain ? 'draining' : 'check';
}

/** May a distNSU go now, and from which ultNSU? */
export function decideDist(state: CompanyState, ctx: DecisionContext): DistDecision {
  const stop = stopOf(state, ctx);
  if (stop !== null) {
    return { kind: 'stopped', code: stop.code, ...(stop.cStat === undefined ? {} : { cStat: stop.cStat }), reason: stop.message };
  }
  if (state.distInFlight !== null) return { kind: 'wait', until: null, reason: 'call-in-flight' };
  if (isBlocked(state, ctx.now)) return { kind: 'wait', until: state.blockedUntil, reason: 'blocked-656' };
  if (state.nextDistAt !== null && ctx.now < state.nextDistAt) {
    return { kind: 'wait', until: state.nextDistAt, reason: state.nextDistReason ?? 'backoff' };
  }
  if (!ctx.window.open) return { kind: 'wait', until: ctx.window.opensAt, reason: 'outside-window' };
  return { kind: 'call', ultNSU: state.ultNSU ?? formatNSU(ctx.startNSU ?? '0'), reason: callReason(state) };
}

/**
 * May a consNSU/consChNFe go now? Bound by the per-hour budget and any 656 block, not by
 * the hour after a 137 (that rule is distNSU's alone).
 */
export function decideTargeted(state: CompanyState, ctx: DecisionContext): TargetedDecision {
  const stop = stopOf(state, ctx);
  if (stop !== null) return { allowed: false, until: null, reason: 'stopped', detail: stop.message };
  if (isBlocked(state, ctx.now)) return { allowed: false, until: state.blockedUntil, reason: 'blocked-656' };
  if (!ctx.window.open) return { allowed: false, until: ctx.window.opensAt, reason: 'outside-window' };
  const limit = targetedLimit(ctx.settings);
  if (limit === 0) return { allowed: false, until: null, reason: 'targeted-limit', detail: 'targetedPerHour is 0' };
  const hour = guardedHour(ctx.settings);
  const recent = state.targetedCalls.filter((t) => t > ctx.now - hour);
  if (recent.length < limit) return { allowed: true };
  // The call that must leave the rolling hour before one more fits.
  return { allowed: false, until: recent[recent.length - limit]! + hour, reason: 'targeted-limit' };
}

function expectedCursor(state: CompanyState): string | null {
  return state.distInFlight?.ultNSU ?? state.ultNSU;
}

function checkCursor(state: CompanyState, ultNSU: string, what: string): void {
  const expected = expectedCursor(state);
  if (expected !== null && compareNSU(expected, ultNSU) !== 0) {
    throw new RuleInputError('STALE_ANSWER', `${what} from ultNSU ${ultNSU} does not belong to this state: its cursor is at ${expected}`);
  }
}

/**
 * Marks a distNSU as sent. The store persists this before the request leaves, so a crash
 * before its outcome is applied is handled by recoverInterruptedCall.
 */
export function beginDistCall(state: CompanyState, ultNSU: string, at: number): CompanyState {
  if (state.distInFlight !== null) {
    throw new RuleInputError('CALL_IN_FLIGHT', `a distNSU from ultNSU ${state.distInFlight.ultNSU} is already in flight`);
  }
  const nsu = formatNSU(ultNSU);
  checkCursor(state, nsu, 'a distNSU');
  return { ...state, distInFlight: { ultNSU: nsu, at } };
}

function backoff(state: CompanyState, at: number, settings: RuleSettings, random: () => number): CompanyState {
  const failures = state.failures + 1;
  return { ...state, failures, nextDistAt: at + backoffDelay(failures, settings, random), nextDistReason: 'backoff' };
}

/**
 * An answer SEFAZ may have processed but we could not read. It can only be repeated with
 * the same ultNSU, which SEFAZ tolerates as a retry; but if that answer ended the
 * documents (137, or a batch reaching maxNSU) the repeat would fall inside the hour. That
 * is only ruled out when more than one batch remained.
 */
function lostAnswer(state: CompanyState, at: number, settings: RuleSettings, random: () => number): CompanyState {
  if (documentsCertainlyRemain(state)) return backoff(state, at, settings, random);
  return {
    ...state,
    failures: state.failures + 1,
    nextDistAt: at + guardedHour(settings),
    nextDistReason: 'lost-answer-maybe-137',
  };
}

/** An NSU as 15 digits, or null when absent or malformed. */
function nsuOrNull(value: string | null): string | null {
  return value !== null && /^[0-9]{1,15}$/.test(value) ? formatNSU(value) : null;
}

function said(xMotivo: string | undefined): string {
  return xMotivo === undefined || xMotivo === '' ? '' : ` (SEFAZ: "${xMotivo}")`;
}

function documentsAnswer(
  state: CompanyState,
  answer: DistAnswer,
  requested: string,
  receivedAt: number,
  settings: RuleSettings,
  random: () => number,
): Outcome {
  const ult = nsuOrNull(answer.ultNSU);
  const max = nsuOrNull(answer.maxNSU);
  const problem =
    (answer.ultNSU !== null && ult === null) || (answer.maxNSU !== null && max === null)
      ? 'a malformed ultNSU/maxNSU'
      : answer.cStat === '138' && (ult === null || max === null)
        ? 'no ultNSU/maxNSU'
        : ult !== null && compareNSU(ult, requested) < 0
          ? `ultNSU ${ult}, below the ${requested} requested`
          : null;
  if (problem !== null) {
    // Unusable, but SEFAZ did process the request: handled as an answer lost after sending.
    return {
      state: lostAnswer(state, receivedAt, settings, random),
      effects: [{
        type: 'unexpected-answer',
        cStat: answer.cStat,
        message: `distNSU from ${requested} answered ${answer.cStat} with ${problem}; the cursor stays at ${requested}`,
      }],
    };
  }
  const ultNSU = ult ?? requested;
  const maxNSU = max === null || compareNSU(max, ultNSU) < 0 ? ultNSU : max;
  const nothingLeft = answer.cStat === '137' || compareNSU(ultNSU, maxNSU) >= 0;
  if (!nothingLeft && compareNSU(ultNSU, requested) === 0) {
    // More remain but the cursor did not move: calling back to back would spin on SEFAZ.
    return {
      state: backoff({ ...state, ultNSU, maxNSU }, receivedAt, settings, random),
      effects: [{
        type: 'unexpected-answer',
        cStat: answer.cStat,
        message: `distNSU from ${requested} answered ${answer.cStat} with ${answer.docs} document(s) but ultNSU unchanged while maxNSU is ${maxNSU}; retrying with backoff`,
      }],
    };
  }
  return {
    state: {
      ...state,
      ultNSU,
      maxNSU,
      failures: 0,
      nextDistAt: nothingLeft ? receivedAt + guardedHour(settings) : null,
      nextDistReason: nothingLeft ? 'nothing-left' : null,
    },
    effects: [],
  };
}

function blocked656(state: CompanyState, at: number, settings: RuleSettings, query: string, xMotivo?: string): CompanyState {
  return {
    ...state,
    blockedUntil: Math.max(state.blockedUntil ?? -Infinity, at + guardedHour(settings)),
    blockedReason: `SEFAZ answered 656 (Consumo Indevido) to a ${query}${said(xMotivo)}`,
  };
}

const ANOTHER_SYSTEM =
  'another system is querying this CNPJ: SEFAZ answered 656 (Consumo Indevido) although dfe-sync kept every rule; find the other program (or second copy of dfe-sync) using this CNPJ and stop it';

function distBlocked(state: CompanyState, answer: DistAnswer, requested: string, receivedAt: number, settings: RuleSettings): Outcome {
  const theirs = nsuOrNull(answer.ultNSU);
  const moved = theirs !== null && compareNSU(theirs, requested) !== 0;
  const message = moved
    ? `${ANOTHER_SYSTEM}. It moved the shared NSU sequence from ${requested} to ${theirs}: after the block dfe-sync continues from ${theirs}`
    : ANOTHER_SYSTEM;
  let next: CompanyState = {
    ...blocked656(state, receivedAt, settings, 'distNSU', answer.xMotivo),
    failures: 0,
    nextDistAt: null,
    nextDistReason: null,
    anotherSystem: { at: receivedAt, message },
  };
  const effects: Effect[] = [{ type: 'another-system', message }];
  if (moved) {
    // SEFAZ's maxNSU is at least its last ultNSU: a lower bound keeps documentsCertainlyRemain safe.
    const maxNSU = state.maxNSU !== null && compareNSU(state.maxNSU, theirs) > 0 ? state.maxNSU : theirs;
    next = { ...next, ultNSU: theirs, maxNSU };
    effects.push({ type: 'ultNSU-adopted', fromNSU: requested, toNSU: theirs });
    if (compareNSU(theirs, requested) > 0) {
      effects.push({ type: 'gap', fromNSU: formatNSU(BigInt(requested) + 1n), toNSU: theirs });
    }
  }
  return { state: next, effects };
}

/** Applies SEFAZ's answer to a distNSU, received at `receivedAt` on our clock. */
export function applyDistAnswer(
  state: CompanyState,
  answer: DistAnswer,
  receivedAt: number,
  settings: RuleSettings,
  random: () => number,
): Outcome {
  const requested = formatNSU(answer.requestUltNSU);
  checkCursor(state, requested, `an answer to distNSU`);
  const s: CompanyState = { ...state, distInFlight: null, answered: true };
  switch (answer.cStat) {
    case '137':
    case '138':
      return documentsAnswer(s, answer, requested, receivedAt, settings, random);
    case '656':
      return distBlocked(s, answer, requested, receivedAt, settings);
    case '108':
    case '109':
    case '999':
      return { state: backoff(s, receivedAt, settings, random), effects: [] };
  }
  const stop = stopForCStat(answer.cStat, 'dist', answer.xMotivo);
  if (stop !== null) return { state: { ...s, stopped: stop }, effects: [{ type: 'stopped', stop }] };
  return {
    state: backoff(s, receivedAt, settings, random),
    effects: [{
      type: 'unexpected-answer',
      cStat: answer.cStat,
      message: `distNSU from ${requested} answered with unknown cStat ${answer.cStat}${said(answer.xMotivo)}; retrying with backoff`,
    }],
  };
}

/**
 * A distNSU that got no usable answer, detected at `at` on our clock. Before sending, or
 * an HTTP error status from the server, the request was not processed: backoff. A 504
 * comes from a gateway that timed out waiting for SEFAZ, so it counts as lost after sending.
 */
export function applyDistFailure(
  state: CompanyState,
  failure: DistFailure,
  at: number,
  settings: RuleSettings,
  random: () => number,
): CompanyState {
  const s: CompanyState = { ...state, distInFlight: null };
  const status = failure.httpStatus;
  const refused = status !== undefined && status !== 504 && (status < 200 || status >= 300);
  if (failure.phase === 'before-send' || refused) return backoff(s, at, settings, random);
  return lostAnswer(s, at, settings, random);
}

/** After a restart: a distNSU left in flight by a crash is an answer lost after sending. */
export function recoverInterruptedCall(
  state: CompanyState,
  now: number,
  settings: RuleSettings,
  random: () => number,
): Outcome {
  const inFlight = state.distInFlight;
  if (inFlight === null) return { state, effects: [] };
  const next = applyDistFailure(state, { phase: 'after-send' }, now, settings, random);
  return {
    state: next,
    effects: [{
      type: 'interrupted-call',
      ultNSU: inFlight.ultNSU,
      message: `a distNSU from ${inFlight.ultNSU} sent at ${new Date(inFlight.at).toISOString()} never had its answer applied (the process stopped); handled as an answer lost after sending`,
    }],
  };
}

/** Counts a consNSU/consChNFe against the hour; call it (and persist) before sending. */
export function recordTargetedCall(state: CompanyState, at: number, settings: RuleSettings): CompanyState {
  const hour = guardedHour(settings);
  const kept = state.targetedCalls.filter((t) => t > at - hour);
  const i = kept.findIndex((t) => t > at);
  const targetedCalls = i === -1 ? [...kept, at] : [...kept.slice(0, i), at, ...kept.slice(i)];
  return { ...state, targetedCalls };
}

/** Applies a consNSU/consChNFe answer: it never moves the cursor, but its 656 blocks the whole CNPJ. */
export function applyTargetedAnswer(
  state: CompanyState,
  answer: { cStat: string; xMotivo?: string },
  at: number,
  settings: RuleSettings,
): Outcome {
  if (answer.cStat === '656') {
    return {
      state: { ...blocked656(state, at, settings, 'consNSU/consChNFe', answer.xMotivo), anotherSystem: { at, message: ANOTHER_SYSTEM } },
      effects: [{ type: 'another-system', message: ANOTHER_SYSTEM }],
    };
  }
  const stop = stopForCStat(answer.cStat, 'targeted', answer.xMotivo);
  if (stop !== null) return { state: { ...state, stopped: stop }, effects: [{ type: 'stopped', stop }] };
  return { state, effects: [] };
}

/** The operator fixed what stopped the company. */
export function clearStop(state: CompanyState): CompanyState {
  return { ...state, stopped: null };
}
