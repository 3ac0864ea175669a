import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MonthlyLimitConfig } from '../../src/config/index.js';
import { countDecision, gateDecision, periodStartDayOf } from '../../src/limits/decide.js';
import { periodOf } from '../../src/limits/period.js';

const limit = (l: Partial<MonthlyLimitConfig>): MonthlyLimitConfig => ({ calls: 10, notify: true, suspend: false, reactivateAtPeriodStart: false, periodStartDay: 21, ...l });
const NOV = periodOf(Date.UTC(2026, 10, 25, 15), 21, 'America/Sao_Paulo'); // 2026-11-21 to 2026-12-20
const suspension = (periodStart: string) => ({ cnpj: '11000000000191', reason: 'r', periodStart, suspendedAt: 0 });

describe('countDecision', () => {
  it('reaches the limit once per period, at the call that brings the count to it, whatever the switches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 120 }), (calls, notify, suspend, made) => {
        const l = limit({ calls, notify, suspend });
        const reachedAt = Array.from({ length: made }, (_, i) => i + 1).filter((total) => countDecision(l, total - 1, total).reached);
        expect(reachedAt).toEqual(made >= calls ? [calls] : []);
        const at = countDecision(l, calls - 1, calls);
        expect(at).toEqual({ reached: true, notify, suspend });
      }),
    );
  });

  it('decides nothing without a limit', () => {
    expect(countDecision(null, 999, 1000)).toEqual({ reached: false, notify: false, suspend: false });
  });

  it('reaches a limit raised mid-period at its new value', () => {
    expect(countDecision(limit({ calls: 20 }), 19, 20).reached).toBe(true);
    expect(countDecision(limit({ calls: 20 }), 20, 21).reached).toBe(false);
  });
});

describe('gateDecision', () => {
  it('keeps a suspension without reactivateAtPeriodStart closed for good', () => {
    for (const l of [limit({ suspend: true }), null]) {
      expect(gateDecision(l, suspension('2026-10-21'), NOV)).toEqual({ kind: 'closed', until: null });
    }
  });

  it('with reactivateAtPeriodStart: closed until the next period, lifted once a later period has begun', () => {
    const l = limit({ suspend: true, reactivateAtPeriodStart: true });
    expect(gateDecision(l, suspension('2026-11-21'), NOV)).toEqual({ kind: 'closed', until: NOV.endsAt });
    expect(gateDecision(l, suspension('2026-10-21'), NOV)).toEqual({ kind: 'lift' });
    expect(gateDecision(l, suspension('2025-12-21'), NOV)).toEqual({ kind: 'lift' });
  });
});

it('counts usage by the limit\'s period, or from the 21st without a limit', () => {
  expect(periodStartDayOf({ monthlyLimit: limit({ periodStartDay: 5 }) })).toBe(5);
  expect(periodStartDayOf({ monthlyLimit: null })).toBe(21);
});
