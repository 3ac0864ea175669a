/**
 * Each company's limit, period, usage and suspension: what `dfe-sync limits` prints and
 * what status can show next to a company. The view is pure; limitsReport reads the store.
 */
import type { CompanyConfig, Config, MonthlyLimitConfig } from '../config/index.js';
import type { Store, Suspension } from '../store/index.js';
import { gateDecision, periodStartDayOf } from './decide.js';
import { periodOf, type BillingPeriod } from './period.js';

export interface LimitSuspensionView {
  since: string;
  reason: string;
  /** the period it was suspended in */
  periodStart: string;
  /** when it lifts itself (null: only `dfe-sync reactivate` lifts it); in the past: at the daemon's next step */
  reactivatesAt: string | null;
}

export interface CompanyLimitView {
  cnpj: string;
  name: string;
  /** null: no limit (usage is still counted) */
  limit: MonthlyLimitConfig | null;
  period: { start: string; end: string; startsAt: string; endsAt: string };
  used: number;
  /** calls left before the limit is reached (0 once reached), null without a limit */
  remaining: number | null;
  suspended: LimitSuspensionView | null;
}

export interface LimitsReport {
  generatedAt: string;
  config: string;
  timezone: string;
  database: string;
  /** false: the daemon has not run yet (nothing counted, nothing suspended) */
  databaseFound: boolean;
  companies: CompanyLimitView[];
}

const iso = (at: number): string => new Date(at).toISOString();

/** `period`: the company's current one (currentPeriod); `used`: its usage in it. */
export function companyLimitView(company: CompanyConfig, period: BillingPeriod, used: number, suspension: Suspension | null): CompanyLimitView {
  const limit = company.monthlyLimit;
  let suspended: LimitSuspensionView | null = null;
  if (suspension !== null) {
    const decision = gateDecision(limit, suspension, period);
    const reactivatesAt = decision.kind === 'lift' ? period.startsAt : decision.until;
    suspended = { since: iso(suspension.suspendedAt), reason: suspension.reason, periodStart: suspension.periodStart, reactivatesAt: reactivatesAt === null ? null : iso(reactivatesAt) };
  }
  return {
    cnpj: company.cnpj,
    name: company.name,
    limit,
    period: { start: period.start, end: period.end, startsAt: iso(period.startsAt), endsAt: iso(period.endsAt) },
    used,
    remaining: limit === null ? null : Math.max(0, limit.calls - used),
    suspended,
  };
}

/** `store` null: no state database yet. */
export function limitsReport(config: Config, store: Pick<Store, 'usageOf' | 'suspensionOf'> | null, now: number, database: string): LimitsReport {
  return {
    generatedAt: iso(now),
    config: config.file,
    timezone: config.timezone,
    database,
    databaseFound: store !== null,
    companies: config.companies.map((company) => {
      const period = periodOf(now, periodStartDayOf(company), config.timezone);
      return companyLimitView(company, period, store?.usageOf(company.cnpj, period.start) ?? 0, store?.suspensionOf(company.cnpj) ?? null);
    }),
  };
}
