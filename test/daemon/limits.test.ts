import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { periodOf } from '../../src/limits/period.js';
import { localParts } from '../../src/time/zone.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SyncHarness, stopAfterEach } from '../support/syncHarness.js';

const A = '112223330001' + cnpjCheckDigits('112223330001');
const TZ = 'America/Sao_Paulo';
const HOUR = 3_600_000;

const track = stopAfterEach();

describe('monthly limit through the daemon, across a period boundary', () => {
  it('suspends capture when the limit is reached and reactivates on its own when the next period starts', async () => {
    const clock = new ManualClock(Date.now());
    // a period that starts tomorrow (local), so the boundary is within the test's reach
    const day = Math.min(28, Math.max(1, localParts(clock.now() + 24 * HOUR, TZ).day));
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 600, monthlyLimit: `{ calls: 5, suspend: true, reactivateAtPeriodStart: true, periodStartDay: ${day} }` }]));
    await h.start();
    const boundary = periodOf(clock.now(), day, TZ).endsAt;

    await h.runUntil(clock.now() + HOUR);
    expect(h.sim.calls()).toHaveLength(5);
    expect(h.store.countDocuments(A)).toBe(250);
    expect(h.store.suspensionOf(A)).not.toBeNull();
    expect(h.log.lines.some((l) => l.notification === 'limit-reached')).toBe(true);
    expect(h.log.lines.some((l) => l.notification === 'suspended')).toBe(true);

    await h.runUntil(boundary - 1);
    expect(h.sim.calls()).toHaveLength(5); // suspended: no call of any kind

    await h.runUntil(boundary + HOUR);
    // reactivated at the period start, 5 more calls, then the new period's limit suspends it again
    expect(h.store.suspensionOf(A)?.periodStart).toBe(periodOf(boundary, day, TZ).start);
    expect(h.store.countDocuments(A)).toBe(500);
    expect(h.sim.calls()).toHaveLength(10);
    expect(h.log.lines.some((l) => l.notification === 'reactivated')).toBe(true);
    expect(h.sim.violations()).toEqual([]);
  });
});
