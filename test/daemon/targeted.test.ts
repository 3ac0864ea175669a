import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SyncHarness, stopAfterEach } from '../support/syncHarness.js';

const HOUR = 3_600_000;
const MARGIN = 120_000;
const A = '112223330001' + cnpjCheckDigits('112223330001');

const track = stopAfterEach();

/** The first `n` distinct NF-e keys the simulator holds for a company. */
function keysOf(h: SyncHarness, cnpj: string, n: number): string[] {
  return [...new Set(h.sim.documents(cnpj).map((d) => d.chNFe).filter((k): k is string => k !== null))].slice(0, n);
}

/** consNSU/consChNFe calls in any window of `span` ms, at most. */
function busiestWindow(times: number[], span: number): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= span) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('targeted queries (consChNFe / consNSU) against the simulator', () => {
  it('60 keys queued for consChNFe go out 19 per rolling hour and finish in about 4 simulated hours, zero 656', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 150 }]));
    await h.start();
    await h.daemon.runDue(); // the distNSU drain
    const keys = keysOf(h, A, 60);
    expect(keys).toHaveLength(60);
    const start = clock.now();
    h.store.queueTargeted(A, keys.map((k) => ({ op: 'consChNFe' as const, value: k, reason: 'manual' as const })));
    await h.runUntil(start + 5 * HOUR);

    const targeted = h.sim.calls().filter((c) => c.op === 'consChNFe');
    expect(targeted).toHaveLength(60);
    expect(targeted.every((c) => c.cStat === '138')).toBe(true);
    expect(busiestWindow(targeted.map((c) => c.at), HOUR)).toBeLessThanOrEqual(19);
    const took = targeted.at(-1)!.at - start;
    expect(took).toBeGreaterThan(3 * HOUR);
    expect(took).toBeLessThan(4 * HOUR);
    expect(h.store.countTargetedQueued(A)).toBe(0);
    expect(h.sim.calls().filter((c) => c.cStat === '656')).toEqual([]);
    expect(h.sim.violations()).toEqual([]);
  });

  it('a 656 planted mid-queue pauses the whole queue for the hour, across a restart', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 100, targetedPerHour: 5 }]));
    await h.start();
    await h.daemon.runDue();
    h.store.queueTargeted(A, keysOf(h, A, 20).map((k) => ({ op: 'consChNFe' as const, value: k, reason: 'manual' as const })));
    await h.daemon.runDue(); // the hour's 5
    expect(h.sim.calls().filter((c) => c.op === 'consChNFe')).toHaveLength(5);
    // another system trips the CNPJ: the next query, when the budget allows it, gets a 656
    h.sim.scriptAnswer(A, { cStat: '656' });
    await h.runUntil(clock.now() + HOUR + MARGIN + 1000);
    const blocked = h.store.getCompany(A)!;
    expect(blocked.lastCall?.cStat).toBe('656');
    const blockedUntil = blocked.blockedUntil!;
    expect(blockedUntil).toBe(blocked.lastCall!.at + HOUR + MARGIN);
    const callsAtBlock = h.sim.calls().length;

    await h.daemon.stop();
    h.runtime.close();
    await h.start(); // a new process
    await h.runUntil(blockedUntil - 1);
    expect(h.sim.calls().length).toBe(callsAtBlock);
    await h.runUntil(blockedUntil + 3 * HOUR);
    expect(h.store.countTargetedQueued(A)).toBe(0);
    expect(h.sim.violations()).toEqual([]);
  });
});
