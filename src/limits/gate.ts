/**
 * The monthly limit where the company step meets it: limitGate before any SEFAZ call,
 * countCall for each one sent. Thin: decide.ts decides, this reads the store, writes it,
 * notifies and logs.
 */
import type { CompanyConfig } from '../config/index.js';
import type { Suspension } from '../store/index.js';
import type { SyncContext } from '../sync/context.js';
import { countDecision, gateDecision, periodStartDayOf, reactivatesAutomatically } from './decide.js';
import { periodOf, type BillingPeriod } from './period.js';
import {
  gateReason, limitReachedMessage, reactivatedMessage, suspendedMessage, suspensionReason, type ReactivatedBy,
} from './words.js';

/** What the limits need of a SyncContext (a CLI builds just this much). */
export type LimitContext = Pick<SyncContext, 'config' | 'store' | 'notify' | 'logger'>;

export type GateResult = { allowed: true } | { allowed: false; reason: string; until: number | null };

export interface CountResult {
  period: BillingPeriod;
  /** calls counted in the period, this one included */
  used: number;
  /** this call reached the limit */
  reached: boolean;
  /** this call suspended the company: make no further call in this step */
  suspended: boolean;
}

/** The company's current billing period. */
export function currentPeriod(ctx: Pick<LimitContext, 'config'>, company: CompanyConfig, now: number): BillingPeriod {
  return periodOf(now, periodStartDayOf(company), ctx.config.timezone);
}

/**
 * Whether the company may call SEFAZ now (any operation). A suspension from an earlier
 * period is lifted here when the company reactivates at period start, so a running
 * daemon needs no timer of its own for it: its next step does it.
 */
export function limitGate(ctx: LimitContext, company: CompanyConfig, now: number): GateResult {
  const suspension = ctx.store.suspensionOf(company.cnpj);
  if (suspension === null) return { allowed: true };
  const period = currentPeriod(ctx, company, now);
  const decision = gateDecision(company.monthlyLimit, suspension, period);
  if (decision.kind === 'lift') {
    liftSuspension(ctx, company, suspension, 'period-start', period);
    return { allowed: true };
  }
  return { allowed: false, reason: gateReason(suspension, decision.until, ctx.config.timezone, ctx.config.file), until: decision.until };
}

/**
 * Counts one SEFAZ call (every company's, limit or not, so usage can be shown) in the
 * period of `at`; the call that reaches the limit notifies and/or suspends.
 */
export function countCall(ctx: LimitContext, company: CompanyConfig, at: number): CountResult {
  const period = currentPeriod(ctx, company, at);
  const used = ctx.store.addUsage(company.cnpj, period.start);
  const limit = company.monthlyLimit;
  const decision = countDecision(limit, used - 1, used);
  if (limit === null || !decision.reached) return { period, used, reached: false, suspended: false };

  const { timezone, file } = ctx.config;
  const message = limitReachedMessage(company, limit, period, timezone, file);
  ctx.logger.warn({ cnpj: company.cnpj, periodStart: period.start, used, limit: limit.calls }, message);
  if (decision.notify) {
    ctx.notify({
      kind: 'limit-reached',
      cnpj: company.cnpj,
      dedupeKey: `limit-reached:${company.cnpj}:${period.start}:${limit.calls}`,
      roles: ['financial'],
      message,
      data: { periodStart: period.start, periodEnd: period.end, used, limit: limit.calls, suspend: limit.suspend },
    });
  }
  let suspended = false;
  if (decision.suspend) {
    const reason = suspensionReason(limit, period);
    suspended = ctx.store.suspend(company.cnpj, reason, period.start, at);
    if (suspended) {
      const until = reactivatesAutomatically(limit) ? period.endsAt : null;
      ctx.notify({
        kind: 'suspended',
        cnpj: company.cnpj,
        dedupeKey: `suspended:${company.cnpj}:${at}`,
        roles: ['financial', 'technical'],
        message: suspendedMessage(company, reason, until, timezone, file),
        data: { periodStart: period.start, reason, reactivatesAt: until === null ? null : new Date(until).toISOString() },
      });
    }
  }
  return { period, used, reached: true, suspended };
}

/**
 * Lifts the company's suspension by an operator's decision; returns the suspension it
 * lifted, or null when it was not suspended. A running daemon sees it at its next step.
 */
export function reactivateCompany(ctx: LimitContext, company: CompanyConfig, now: number): Suspension | null {
  const suspension = ctx.store.suspensionOf(company.cnpj);
  if (suspension === null) return null;
  return liftSuspension(ctx, company, suspension, 'operator', currentPeriod(ctx, company, now)) ? suspension : null;
}

function liftSuspension(ctx: LimitContext, company: CompanyConfig, suspension: Suspension, by: ReactivatedBy, period: BillingPeriod): boolean {
  // Another process (daemon or CLI) may have lifted it between the read and here: one of them tells.
  if (!ctx.store.reactivate(company.cnpj)) return false;
  const message = reactivatedMessage(company, suspension, by, period, ctx.config.timezone);
  ctx.logger.info({ cnpj: company.cnpj, by, suspendedAt: new Date(suspension.suspendedAt).toISOString(), periodStart: period.start }, message);
  ctx.notify({
    kind: 'reactivated',
    cnpj: company.cnpj,
    dedupeKey: `reactivated:${company.cnpj}:${suspension.suspendedAt}`,
    roles: ['financial', 'technical'],
    message,
    data: { by, suspendedAt: new Date(suspension.suspendedAt).toISOString(), suspendedPeriodStart: suspension.periodStart, periodStart: period.start },
  });
  return true;
}
