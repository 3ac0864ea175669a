/**
 * Billing periods of a monthly consumption limit (as API contracts count them): from
 * `startDay` of one month to the day before `startDay` of the next, in local dates of
 * the configured time zone. Pure.
 */
import { DfeSyncError } from '../errors.js';
import { localParts, zoneOffset } from '../time/zone.js';

/** The schema's default: periods run from the 21st to the 20th. */
export const DEFAULT_PERIOD_START_DAY = 21;

export interface BillingPeriod {
  /** the local date the period begins on, YYYY-MM-DD (the usage table's key) */
  start: string;
  /** the local date of its last day, YYYY-MM-DD */
  end: string;
  /** the first instant of `start` in the time zone */
  startsAt: number;
  /** the next period's startsAt */
  endsAt: number;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const DAY_MS = 86_400_000;

/** A day that does not exist in every month would make some periods skip a month. */
export class PeriodStartDayError extends DfeSyncError {
  constructor(day: number) {
    super('LIMITS_PERIOD_START_DAY', `periodStartDay ${day} is not a whole number from 1 to 28 (every month has those days)`);
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');
const dateText = (d: LocalDate): string => `${d.year}-${pad(d.month)}-${pad(d.day)}`;
const dateKey = (d: LocalDate): number => d.year * 10_000 + d.month * 100 + d.day;

/** A calendar date with month and day carried over (month 13, day 0) as Date.UTC does. */
function calendarDate(year: number, month: number, day: number): LocalDate {
  const t = new Date(Date.UTC(year, month - 1, day));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/**
 * The first instant whose local date is `date` or later. Local midnight minus the zone's
 * offset, where the offset is the one in force at midnight: taken from the day before,
 * the day itself and the day after, the earliest candidate that reads `date` is right
 * even on a day whose midnight is skipped (a DST change at 00:00 starts the day at the
 * change) or repeated.
 */
function startOfLocalDate(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  const target = dateKey(date);
  let first = Number.POSITIVE_INFINITY;
  for (const probe of [wall - DAY_MS, wall, wall + DAY_MS]) {
    const candidate = wall - zoneOffset(probe, timeZone);
    if (candidate < first && dateKey(localParts(candidate, timeZone)) >= target) first = candidate;
  }
  return Number.isFinite(first) ? first : wall - zoneOffset(wall, timeZone);
}

/** The instant the local day of `at` began (for "documents today"). */
export function startOfLocalDay(at: number, timeZone: string): number {
  const p = localParts(at, timeZone);
  return startOfLocalDate({ year: p.year, month: p.month, day: p.day }, timeZone);
}

/** The billing period that contains the instant `at`. */
export function periodOf(at: number, startDay: number, timeZone: string): BillingPeriod {
  if (!Number.isInteger(startDay) || startDay < 1 || startDay > 28) throw new PeriodStartDayError(startDay);
  const now = localParts(at, timeZone);
  const first = calendarDate(now.year, now.day >= startDay ? now.month : now.month - 1, startDay);
  const next = calendarDate(first.year, first.month + 1, startDay);
  return {
    start: dateText(first),
    end: dateText(calendarDate(next.year, next.month, startDay - 1)),
    startsAt: startOfLocalDate(first, timeZone),
    endsAt: startOfLocalDate(next, timeZone),
  };
}
