/**
 * What a monthly consumption limit means for one company, decided from plain data: the
 * gate before each SEFAZ call and the consequences of counting one. Pure; gate.ts does
 * the reading, writing and telling.
 */
import type { CompanyConfig, MonthlyLimitConfig } from '../config/index.js';
import type { Suspension } from '../store/index.js';
import { DEFAULT_PERIOD_START_DAY, type BillingPeriod } from './period.js';

/** Usage is counted for every company (status shows it), by its limit's period or the default one. */
export function periodStartDayOf(company: Pick<CompanyConfig, 'monthlyLimit'>): number {
  return company.monthlyLimit?.periodStartDay ?? DEFAULT_PERIOD_START_DAY;
}

/** Whether a suspension lifts itself when a new period begins. */
export function reactivatesAutomatically(limit: MonthlyLimitConfig | null): boolean {
  // The config refuses reactivateAtPeriodStart without suspend.
  return limit?.reactivateAtPeriodStart === true;
}

export type GateDecision =
  /** the suspension is from an earlier period and lifts itself: lift it, then call */
  | { kind: 'lift' }
  /** no call; `until` the instant it lifts itself, null when only an operator lifts it */
  | { kind: 'closed'; until: number | null };

/** A suspended company's gate in `period` (the one containing now). */
export function gateDecision(limit: MonthlyLimitConfig | null, suspension: Suspension, period: BillingPeriod): GateDecision {
  if (!reactivatesAutomatically(limit)) return { kind: 'closed', until: null };
  // Dates as YYYY-MM-DD compare as text.
  if (suspension.periodStart < period.start) return { kind: 'lift' };
  return { kind: 'closed', until: period.endsAt };
}

export interface CountDecision {
  /** this call is the one that reached the limit */
  reached: boolean;
  notify: boolean;
  suspend: boolean;
}

/**
 * The limit is reached once per period, by the call that brings the count from below
 * `calls` to `calls`: a company an operator reactivated within the same period runs on
 * (that is what reactivating it means) until the next period's limit, and a limit
 * raised mid-period is reached again at its new value.
 */
export function countDecision(limit: MonthlyLimitConfig | null, before: number, total: number): CountDecision {
  const reached = limit !== null && before < limit.calls && total >= limit.calls;
  return { reached, notify: reached && limit.notify, suspend: reached && limit.suspend };
}
