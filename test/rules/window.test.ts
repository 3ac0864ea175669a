import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RuleInputError } from '../../src/rules/errors.js';
import { FULL_DAY, windowStatus, type WindowRange } from '../../src/rules/window.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SP = 'America/Sao_Paulo';
const NY = 'America/New_York';

/** São Paulo has been UTC-3 all year since 2019: local hh:mm on a 2026 day, as an instant. */
function sp(day: number, hh: number, mm = 0, ss = 0, ms = 0): number {
  return Date.UTC(2026, 10, day, hh + 3, mm, ss, ms);
}
const r = (a: string, b: string): WindowRange => {
  const m = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
  return { start: m(a), end: b === '24:00' ? 1440 : m(b) };
};

describe('windowStatus: 24h', () => {
  it('is always open and never closes', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (now) => {
      expect(windowStatus(FULL_DAY, SP, now)).toEqual({ open: true, opensAt: null, closesAt: null });
      expect(windowStatus(FULL_DAY, NY, now)).toEqual({ open: true, opensAt: null, closesAt: null });
    }));
  });
  it('never closes when several ranges cover the whole day', () => {
    const ranges = [r('00:00', '12:00'), r('12:00', '24:00')];
    expect(windowStatus(ranges, SP, sp(20, 11, 59, 59, 999))).toEqual({ open: true, opensAt: null, closesAt: null });
    expect(windowStatus([r('19:00', '05:00'), r('05:00', '19:00')], SP, sp(20, 3))).toEqual({ open: true, opensAt: null, closesAt: null });
  });
});

describe('windowStatus: 05:00-19:00 in São Paulo, to the millisecond', () => {
  const w = [r('05:00', '19:00')];
  it('is closed one millisecond before 05:00 and opens at 05:00', () => {
    expect(windowStatus(w, SP, sp(20, 4, 59, 59, 999))).toEqual({ open: false, opensAt: sp(20, 5), closesAt: null });
  });
  it('is open at 05:00 sharp and closes at 19:00', () => {
    expect(windowStatus(w, SP, sp(20, 5))).toEqual({ open: true, opensAt: null, closesAt: sp(20, 19) });
    expect(windowStatus(w, SP, sp(20, 18, 59, 59, 999))).toEqual({ open: true, opensAt: null, closesAt: sp(20, 19) });
  });
  it('is closed at 19:00 sharp and opens the next morning', () => {
    expect(windowStatus(w, SP, sp(20, 19))).toEqual({ open: false, opensAt: sp(21, 5), closesAt: null });
    expect(windowStatus(w, SP, sp(20, 23, 30))).toEqual({ open: false, opensAt: sp(21, 5), closesAt: null });
  });
  it('reads local time, not UTC (05:00 local is 08:00Z)', () => {
    expect(windowStatus(w, SP, Date.UTC(2026, 10, 20, 7, 59))).toMatchObject({ open: false });
    expect(windowStatus(w, SP, Date.UTC(2026, 10, 20, 8, 0))).toMatchObject({ open: true });
  });
});

describe('windowStatus: 19:00-05:00 crosses midnight', () => {
  const w = [r('19:00', '05:00')];
  it('is closed at noon and opens at 19:00', () => {
    expect(windowStatus(w, SP, sp(20, 12))).toEqual({ open: false, opensAt: sp(20, 19), closesAt: null });
  });
  it('before midnight it closes the next morning', () => {
    expect(windowStatus(w, SP, sp(20, 23))).toEqual({ open: true, opensAt: null, closesAt: sp(21, 5) });
    expect(windowStatus(w, SP, sp(20, 19))).toEqual({ open: true, opensAt: null, closesAt: sp(21, 5) });
  });
  it('after midnight it closes the same morning', () => {
    expect(windowStatus(w, SP, sp(21, 0))).toEqual({ open: true, opensAt: null, closesAt: sp(21, 5) });
    expect(windowStatus(w, SP, sp(21, 4, 59, 59, 999))).toEqual({ open: true, opensAt: null, closesAt: sp(21, 5) });
  });
  it('is closed at 05:00 sharp', () => {
    expect(windowStatus(w, SP, sp(21, 5))).toEqual({ open: false, opensAt: sp(21, 19), closesAt: null });
  });
});

describe('windowStatus: several ranges', () => {
  it('jumps the gap between two ranges', () => {
    const w = [r('08:00', '12:00'), r('14:00', '18:00')];
    expect(windowStatus(w, SP, sp(20, 12))).toEqual({ open: false, opensAt: sp(20, 14), closesAt: null });
    expect(windowStatus(w, SP, sp(20, 9))).toEqual({ open: true, opensAt: null, closesAt: sp(20, 12) });
    expect(windowStatus(w, SP, sp(20, 19))).toEqual({ open: false, opensAt: sp(21, 8), closesAt: null });
  });
  it('treats touching ranges as one (closes at the end of the second)', () => {
    expect(windowStatus([r('05:00', '12:00'), r('12:00', '19:00')], SP, sp(20, 6))).toEqual({ open: true, opensAt: null, closesAt: sp(20, 19) });
    expect(windowStatus([r('22:00', '24:00'), r('00:00', '02:00')], SP, sp(20, 23))).toEqual({ open: true, opensAt: null, closesAt: sp(21, 2) });
  });
  it('order of the ranges does not matter', () => {
    const a = windowStatus([r('14:00', '18:00'), r('08:00', '12:00')], SP, sp(20, 13));
    expect(a).toEqual(windowStatus([r('08:00', '12:00'), r('14:00', '18:00')], SP, sp(20, 13)));
  });
  it('with no range it never opens', () => {
    expect(windowStatus([], SP, sp(20, 12))).toEqual({ open: false, opensAt: null, closesAt: null });
  });
  it('rejects ranges that are not minutes of a day', () => {
    for (const bad of [{ start: 300, end: 300 }, { start: -1, end: 60 }, { start: 1440, end: 60 }, { start: 0, end: 1441 }, { start: 0, end: 0 }, { start: NaN, end: 5 }]) {
      expect(() => windowStatus([bad], SP, sp(20, 12))).toThrow(RuleInputError);
    }
  });
  it('rejects an unknown time zone', () => {
    expect(() => windowStatus(FULL_DAY, 'Mars/Olympus_Mons', sp(20, 12))).toThrow(RangeError);
  });
});

describe('windowStatus across daylight saving changes (America/New_York 2026)', () => {
  // Spring forward: 2026-03-08 02:00 EST (07:00Z) becomes 03:00 EDT.
  // Fall back:      2026-11-01 02:00 EDT (06:00Z) becomes 01:00 EST.
  it('a window opening after the spring change opens at the new offset', () => {
    // 20:00 EST on March 7 is 01:00Z on March 8; 05:00 EDT on March 8 is 09:00Z.
    expect(windowStatus([r('05:00', '19:00')], NY, Date.UTC(2026, 2, 8, 1))).toEqual({
      open: false, opensAt: Date.UTC(2026, 2, 8, 9), closesAt: null,
    });
    // A night window spanning the change is open 19:00 EST -> 05:00 EDT: 9 hours, not 10.
    expect(windowStatus([r('19:00', '05:00')], NY, Date.UTC(2026, 2, 8, 0))).toEqual({
      open: true, opensAt: null, closesAt: Date.UTC(2026, 2, 8, 9),
    });
  });
  it('a start inside the skipped hour opens at the jump', () => {
    expect(windowStatus([r('02:30', '04:00')], NY, Date.UTC(2026, 2, 8, 6))).toEqual({
      open: false, opensAt: Date.UTC(2026, 2, 8, 7), closesAt: null,
    });
    expect(windowStatus([r('02:30', '04:00')], NY, Date.UTC(2026, 2, 8, 7))).toEqual({
      open: true, opensAt: null, closesAt: Date.UTC(2026, 2, 8, 8),
    });
  });
  it('a window wholly inside the skipped hour does not open that day', () => {
    expect(windowStatus([r('02:10', '02:40')], NY, Date.UTC(2026, 2, 8, 6))).toEqual({
      open: false, opensAt: Date.UTC(2026, 2, 9, 6, 10), closesAt: null,
    });
  });
  it('a window inside the repeated hour opens twice', () => {
    const w = [r('01:30', '01:45')];
    expect(windowStatus(w, NY, Date.UTC(2026, 10, 1, 5))).toEqual({ open: false, opensAt: Date.UTC(2026, 10, 1, 5, 30), closesAt: null });
    expect(windowStatus(w, NY, Date.UTC(2026, 10, 1, 5, 30))).toEqual({ open: true, opensAt: null, closesAt: Date.UTC(2026, 10, 1, 5, 45) });
    expect(windowStatus(w, NY, Date.UTC(2026, 10, 1, 5, 50))).toEqual({ open: false, opensAt: Date.UTC(2026, 10, 1, 6, 30), closesAt: null });
  });
  it('an end inside the repeated hour closes, then the jump back reopens', () => {
    const w = [r('00:00', '01:30')];
    expect(windowStatus(w, NY, Date.UTC(2026, 10, 1, 5, 20))).toEqual({ open: true, opensAt: null, closesAt: Date.UTC(2026, 10, 1, 5, 30) });
    // 01:40 EDT: closed; at 06:00Z the clock reads 01:00 EST, inside the window again.
    expect(windowStatus(w, NY, Date.UTC(2026, 10, 1, 5, 40))).toEqual({ open: false, opensAt: Date.UTC(2026, 10, 1, 6), closesAt: null });
    expect(windowStatus(w, NY, Date.UTC(2026, 10, 1, 6))).toEqual({ open: true, opensAt: null, closesAt: Date.UTC(2026, 10, 1, 6, 30) });
  });
  it('São Paulo\'s last DST start (2018-11-04 00:00 -> 01:00) skips a midnight window', () => {
    expect(windowStatus([r('00:00', '00:30')], SP, Date.UTC(2018, 10, 4, 2, 50))).toEqual({
      open: false, opensAt: Date.UTC(2018, 10, 5, 2), closesAt: null,
    });
  });
});

/** The definition, checked minute by minute with its own formatter: the slow way. */
function bruteForce(ranges: WindowRange[], timeZone: string, now: number): { open: boolean; change: number | null } {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const openAt = (t: number): boolean => {
    const [h, m] = f.format(t).split(':').map(Number) as [number, number];
    const x = h * 60 + m;
    return ranges.some((g) => (g.start < g.end ? x >= g.start && x < g.end : x >= g.start || x < g.end));
  };
  const open = openAt(now);
  // Offsets in these zones are whole hours, so changes fall on whole minutes.
  const first = Math.floor(now / MIN) * MIN + MIN;
  for (let t = first; t < now + 3 * DAY; t += MIN) if (openAt(t) !== open) return { open, change: t };
  return { open, change: null };
}

describe('windowStatus agrees with a minute-by-minute scan', () => {
  const minute = fc.integer({ min: 0, max: 1439 });
  const rangeArb = fc.tuple(minute, fc.integer({ min: 1, max: 1440 })).filter(([a, b]) => a !== b).map(([start, end]) => ({ start, end }));
  const cases = (zone: string, from: number, to: number) =>
    fc.property(fc.array(rangeArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: from, max: to }), (ranges, now) => {
      const got = windowStatus(ranges, zone, now);
      const want = bruteForce(ranges, zone, now);
      expect(got.open).toBe(want.open);
      expect(got.open ? got.closesAt : got.opensAt).toBe(want.change);
      expect(got.open ? got.opensAt : got.closesAt).toBeNull();
    });
  it('in São Paulo', () => {
    fc.assert(cases(SP, Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)), { numRuns: 40 });
  });
  it('in New York around both DST changes', () => {
    fc.assert(cases(NY, Date.UTC(2026, 2, 7), Date.UTC(2026, 2, 9)), { numRuns: 30 });
    fc.assert(cases(NY, Date.UTC(2026, 9, 31), Date.UTC(2026, 10, 2)), { numRuns: 30 });
  });
});
