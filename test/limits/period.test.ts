import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PERIOD_START_DAY, PeriodStartDayError, periodOf } from '../../src/limits/period.js';
import { formatLocalDate, localParts, zoneOffset } from '../../src/time/zone.js';

const SP = 'America/Sao_Paulo';
const H = 3_600_000;

describe('periodOf', () => {
  it('runs from the 21st to the 20th by default, in local dates of the time zone', () => {
    expect(DEFAULT_PERIOD_START_DAY).toBe(21);
    // 2026-11-20 12:00 in São Paulo (UTC-3, no DST since 2019)
    expect(periodOf(Date.UTC(2026, 10, 20, 15), 21, SP)).toEqual({
      start: '2026-10-21',
      end: '2026-11-20',
      startsAt: Date.UTC(2026, 9, 21, 3),
      endsAt: Date.UTC(2026, 10, 21, 3),
    });
  });

  it('turns at local midnight, not at UTC midnight', () => {
    const midnight = Date.UTC(2026, 10, 21, 3); // 2026-11-21 00:00 in São Paulo
    expect(periodOf(midnight - 1, 21, SP).start).toBe('2026-10-21');
    expect(periodOf(midnight, 21, SP).start).toBe('2026-11-21');
    // 2026-11-21 01:00 UTC is still the 20th in São Paulo
    expect(periodOf(Date.UTC(2026, 10, 21, 1), 21, SP).start).toBe('2026-10-21');
    // and in Tokyo (UTC+9) the 21st begins at 15:00 UTC on the 20th
    expect(periodOf(Date.UTC(2026, 10, 20, 15), 21, 'Asia/Tokyo')).toMatchObject({ start: '2026-11-21', startsAt: Date.UTC(2026, 10, 20, 15) });
    expect(periodOf(Date.UTC(2026, 10, 20, 15) - 1, 21, 'Asia/Tokyo').start).toBe('2026-10-21');
  });

  it('crosses the year end', () => {
    const dec = periodOf(Date.UTC(2026, 11, 31, 12), 21, SP);
    expect(dec).toMatchObject({ start: '2026-12-21', end: '2027-01-20', startsAt: Date.UTC(2026, 11, 21, 3), endsAt: Date.UTC(2027, 0, 21, 3) });
    expect(periodOf(Date.UTC(2027, 0, 10, 12), 21, SP)).toEqual(dec);
    expect(periodOf(Date.UTC(2027, 0, 21, 3), 21, SP).start).toBe('2027-01-21');
    // day 1: calendar months, the new year at local midnight
    expect(periodOf(Date.UTC(2027, 0, 1, 3) - 1, 1, SP)).toMatchObject({ start: '2026-12-01', end: '2026-12-31' });
    expect(periodOf(Date.UTC(2027, 0, 1, 3), 1, SP)).toMatchObject({ start: '2027-01-01', end: '2027-01-31', endsAt: Date.UTC(2027, 1, 1, 3) });
  });

  it('takes other start days, 28 included, through February and leap years', () => {
    expect(periodOf(Date.UTC(2026, 1, 15, 12), 1, SP)).toMatchObject({ start: '2026-02-01', end: '2026-02-28' });
    expect(periodOf(Date.UTC(2028, 1, 15, 12), 1, SP)).toMatchObject({ start: '2028-02-01', end: '2028-02-29' });
    expect(periodOf(Date.UTC(2027, 1, 27, 12), 28, SP)).toMatchObject({ start: '2027-01-28', end: '2027-02-27' });
    expect(periodOf(Date.UTC(2027, 1, 28, 12), 28, SP)).toMatchObject({ start: '2027-02-28', end: '2027-03-27' });
    expect(periodOf(Date.UTC(2028, 1, 29, 12), 28, SP)).toMatchObject({ start: '2028-02-28', end: '2028-03-27' });
    expect(periodOf(Date.UTC(2026, 4, 5, 12), 5, SP)).toMatchObject({ start: '2026-05-05', end: '2026-06-04' });
    expect(periodOf(Date.UTC(2026, 4, 4, 12), 5, SP)).toMatchObject({ start: '2026-04-05', end: '2026-05-04' });
  });

  it('starts a period whose local midnight is skipped by DST at the first instant of that day', () => {
    // São Paulo, 2018-11-04: 00:00 (UTC-3) jumped to 01:00 (UTC-2), at 03:00 UTC
    const p = periodOf(Date.UTC(2018, 10, 10), 4, SP);
    expect(p).toMatchObject({ start: '2018-11-04', startsAt: Date.UTC(2018, 10, 4, 3) });
    expect(localParts(p.startsAt, SP)).toMatchObject({ day: 4, hour: 1, minute: 0 });
    expect(formatLocalDate(p.startsAt - 1, SP)).toBe('2018-11-03');
  });

  it('starts a period whose local midnight follows a DST fall-back at the one midnight there is', () => {
    // São Paulo, 2019-02-17 00:00 (UTC-2) went back to 2019-02-16 23:00 (UTC-3): the 17th began at 03:00 UTC
    expect(periodOf(Date.UTC(2019, 1, 20), 17, SP)).toMatchObject({ start: '2019-02-17', startsAt: Date.UTC(2019, 1, 17, 3) });
    // New York: DST starts 2026-03-08 02:00 and ends 2026-11-01 02:00; both midnights are plain
    expect(periodOf(Date.UTC(2026, 2, 10), 8, 'America/New_York').startsAt).toBe(Date.UTC(2026, 2, 8, 5));
    expect(periodOf(Date.UTC(2026, 10, 2), 1, 'America/New_York')).toMatchObject({ startsAt: Date.UTC(2026, 10, 1, 4), endsAt: Date.UTC(2026, 11, 1, 5) });
  });

  it('refuses a start day some month lacks', () => {
    for (const day of [0, 29, 31, 1.5]) expect(() => periodOf(Date.UTC(2026, 0, 1), day, SP)).toThrow(PeriodStartDayError);
    expect(() => periodOf(0, 29, SP)).toThrow('periodStartDay 29 is not a whole number from 1 to 28');
  });
});

/** The first instant whose local date is `date` or later, found by bisection: an oracle independent of periodOf's offset arithmetic. */
function firstInstantOf(date: string, timeZone: string, near: number): number {
  let lo = near - 40 * H; // reads an earlier date
  let hi = near + 40 * H; // reads `date` or later
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (formatLocalDate(mid, timeZone) >= date) hi = mid;
    else lo = mid;
  }
  return hi;
}

const ZONES = ['America/Sao_Paulo', 'America/New_York', 'America/Santiago', 'America/Havana', 'America/St_Johns', 'Europe/London', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Auckland', 'UTC'];

describe('periodOf, for any instant, start day and zone', () => {
  const cases = fc.record({
    at: fc.integer({ min: Date.UTC(2005, 0, 1), max: Date.UTC(2045, 0, 1) }),
    day: fc.integer({ min: 1, max: 28 }),
    zone: fc.constantFrom(...ZONES),
  });

  it('contains the instant, begins on the start day at the first instant of that local date, and meets the next period', () => {
    fc.assert(
      fc.property(cases, ({ at, day, zone }) => {
        const p = periodOf(at, day, zone);
        expect(p.startsAt).toBeLessThanOrEqual(at);
        expect(at).toBeLessThan(p.endsAt);
        expect(Number(p.start.slice(8))).toBe(day);
        expect(p.startsAt).toBe(firstInstantOf(p.start, zone, Date.parse(`${p.start}T00:00:00Z`)));
        expect(formatLocalDate(p.endsAt - 1, zone)).toBe(p.end);
        const next = periodOf(p.endsAt, day, zone);
        expect(next.startsAt).toBe(p.endsAt);
        expect(next.start > p.end).toBe(true);
        expect(periodOf(p.startsAt, day, zone)).toEqual(p);
        expect(periodOf(p.endsAt - 1, day, zone)).toEqual(p);
      }),
      { numRuns: 300 },
    );
  });
});

describe('periodOf on the days clocks change', () => {
  // Zones whose DST changes happened at local midnight (the day starts at 01:00, or midnight repeats) and others.
  const zones = ['America/Sao_Paulo', 'America/Santiago', 'America/Havana', 'America/New_York', 'Australia/Lord_Howe'];

  /** Local dates (and the day after) whose UTC offset differs from the day before's, 2010 to 2020. */
  function changeDays(zone: string): string[] {
    const days: string[] = [];
    for (let t = Date.UTC(2010, 0, 1, 12); t < Date.UTC(2021, 0, 1); t += 24 * H) {
      if (zoneOffset(t, zone) !== zoneOffset(t - 24 * H, zone)) days.push(formatLocalDate(t - 24 * H, zone), formatLocalDate(t, zone), formatLocalDate(t + 24 * H, zone));
    }
    return [...new Set(days)];
  }

  it.each(zones)('%s: every period that begins on such a day begins at its first instant', (zone) => {
    const days = changeDays(zone).filter((d) => Number(d.slice(8)) <= 28);
    expect(days.length).toBeGreaterThan(20);
    for (const date of days) {
      const first = firstInstantOf(date, zone, Date.parse(`${date}T00:00:00Z`));
      const p = periodOf(first + 12 * H, Number(date.slice(8)), zone);
      expect(p.start).toBe(date);
      expect(p.startsAt).toBe(first);
    }
  });
});
