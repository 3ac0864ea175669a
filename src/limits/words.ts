/** The sentences operators read about limits: in notifications, logs, status and the CLI. Pure. */
import type { CompanyConfig, MonthlyLimitConfig } from '../config/index.js';
import { formatLocalDate, formatLocalTime } from '../time/zone.js';
import type { Suspension } from '../store/index.js';
import type { BillingPeriod } from './period.js';

export const localDateTime = (at: number, timeZone: string): string => `${formatLocalDate(at, timeZone)} ${formatLocalTime(at, timeZone)}`;

export const companyWords = (company: Pick<CompanyConfig, 'cnpj' | 'name'>): string => `${company.name} (${company.cnpj})`;

export const periodWords = (period: BillingPeriod): string => `${period.start} to ${period.end}`;

export const reactivateCommand = (configFile: string, cnpj: string): string => `dfe-sync reactivate --config ${configFile} --cnpj ${cnpj}`;

/** Stored with the suspension: why it happened, in words that stay true later. */
export function suspensionReason(limit: MonthlyLimitConfig, period: BillingPeriod): string {
  return `monthly limit of ${limit.calls} SEFAZ calls reached in the period ${periodWords(period)}`;
}

/** How a suspension ends: on its own at `until`, or by an operator. */
export function liftWords(until: number | null, timeZone: string, configFile: string, cnpj: string): string {
  return until === null
    ? `until an operator runs \`${reactivateCommand(configFile, cnpj)}\``
    : `until the next period starts on ${localDateTime(until, timeZone)} (reactivateAtPeriodStart), or \`${reactivateCommand(configFile, cnpj)}\``;
}

export function limitReachedMessage(company: CompanyConfig, limit: MonthlyLimitConfig, period: BillingPeriod, timeZone: string, configFile: string): string {
  const then = limit.suspend
    ? `its capture is suspended ${liftWords(limit.reactivateAtPeriodStart ? period.endsAt : null, timeZone, configFile, company.cnpj)}`
    : 'capture goes on (monthlyLimit.suspend is off)';
  return `${companyWords(company)} reached its monthly limit of ${limit.calls} SEFAZ calls in the period ${periodWords(period)}: ${then}`;
}

export function suspendedMessage(company: CompanyConfig, reason: string, until: number | null, timeZone: string, configFile: string): string {
  return `${companyWords(company)} is suspended (${reason}): no SEFAZ call is made for it ${liftWords(until, timeZone, configFile, company.cnpj)}`;
}

/** Why the gate refuses: what status shows next to a suspended company. */
export function gateReason(suspension: Suspension, until: number | null, timeZone: string, configFile: string): string {
  return `suspended since ${localDateTime(suspension.suspendedAt, timeZone)} (${suspension.reason}) ${liftWords(until, timeZone, configFile, suspension.cnpj)}`;
}

export type ReactivatedBy = 'operator' | 'period-start';

export function reactivatedMessage(company: CompanyConfig, suspension: Suspension, by: ReactivatedBy, period: BillingPeriod, timeZone: string): string {
  const how = by === 'operator' ? 'by an operator' : `on its own: the period ${periodWords(period)} has begun`;
  return `${companyWords(company)} was reactivated ${how}; it had been suspended since ${localDateTime(suspension.suspendedAt, timeZone)} (${suspension.reason}); capture resumes`;
}
