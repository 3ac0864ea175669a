import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { Prng } from '../../src/sim/prng.js';
import type { FaultSpec } from '../../src/sim/index.js';
import { SyncHarness, type HarnessCompany } from '../support/syncHarness.js';

const HOUR = 3_600_000;
const QUARTER = HOUR / 4;
const WINDOWS = ['24h', '05:00-19:00', '19:00-05:00', '["06:00-09:00", "13:00-18:00"]'];

/** 50 branches of one company: they share the head office's certificate, as real ones may. */
function companies(rng: Prng): HarnessCompany[] {
  const head = '112223330001' + cnpjCheckDigits('112223330001');
  return Array.from({ length: 50 }, (_, i) => {
    const base = `11222333${String(i + 1).padStart(4, '0')}`;
    return {
      cnpj: base + cnpjCheckDigits(base),
      documents: rng.int(0, 400),
      window: WINDOWS[i % WINDOWS.length]!,
      certificateOf: head,
    };
  });
}

const FAULTS: FaultSpec['fault'][] = [
  { kind: 'reset' }, { kind: 'truncate' }, { kind: 'malformed' }, { kind: 'http500' },
  { kind: 'cStat', cStat: '108' }, { kind: 'cStat', cStat: '109' }, { kind: 'cStat', cStat: '999' },
  { kind: 'latency', ms: 3 },
];

describe('soak: 50 CNPJs for 72 simulated hours (discrete events)', () => {
  const rng = new Prng('soak-2026');
  const list = companies(rng);
  const victim = list[7]!.cnpj; // a 24h-window company whose sequence another system steals from
  const clock = new ManualClock(Date.now());
  const h = new SyncHarness(clock, list);
  let stolen: { from: number; to: number } | null = null;
  let faultsInjected = 0;

  beforeAll(async () => {
    await h.start();
    const start = clock.now();
    for (let t = start; t < start + 72 * HOUR; t += QUARTER) {
      await h.runUntil(t);
      // documents arrive over time
      for (let k = rng.int(0, 6); k > 0; k--) h.sim.addDocuments(list[rng.int(0, list.length - 1)]!.cnpj, rng.int(1, 120));
      // faults, now and then, on random companies
      if (rng.int(0, 2) === 0) {
        h.sim.injectFault({ cnpj: list[rng.int(0, list.length - 1)]!.cnpj, fault: FAULTS[rng.int(0, FAULTS.length - 1)]! });
        faultsInjected++;
      }
      // at hour 20, another system takes 30 documents of the victim's sequence behind our back
      if (stolen === null && t >= start + 20 * HOUR) {
        h.sim.addDocuments(victim, 80);
        const before = h.sim.company(victim).ultNSU;
        h.sim.otherSystemAdvances(victim, 30);
        const after = h.sim.company(victim).ultNSU;
        stolen = { from: Number(before ?? '0') + 1, to: Number(after) };
      }
    }
    // a quiet day at the end: every window opens, every wait ends, everything is fetched
    await h.runUntil(clock.now() + 26 * HOUR);
  }, 300_000);

  afterAll(() => h.stop());

  it('made zero calls that broke a rule', () => {
    expect(faultsInjected).toBeGreaterThan(50);
    expect(h.sim.calls().length).toBeGreaterThan(50 * 72 / 2);
    for (const v of h.sim.violations()) console.log(JSON.stringify(h.log.lines.filter((l) => l.cnpj === v.cnpj && l.level !== 'info').slice(-3)));
    expect(h.sim.violations()).toEqual([]);
  });

  it('stored every document exactly once, the stolen range included (fetched with consNSU)', () => {
    expect(stolen).not.toBeNull();
    for (const c of list) {
      const stored = [...h.store.iterateDocuments({ cnpj: c.cnpj })].map((d) => Number(d.NSU));
      expect(new Set(stored).size).toBe(stored.length);
      const max = Number(h.sim.company(c.cnpj).maxNSU);
      expect(stored.sort((a, b) => a - b), `CNPJ ${c.cnpj}`).toEqual(Array.from({ length: max }, (_, i) => i + 1));
    }
  });

  it('recorded the stolen range as a gap, flagged the other system, and closed the gap', () => {
    const gaps = h.store.listGaps(victim);
    expect(gaps.map((g) => [Number(g.fromNSU), Number(g.toNSU)])).toEqual([[stolen!.from, stolen!.to]]);
    expect(gaps[0]!.closedAt).not.toBeNull();
    expect(h.store.getCompany(victim)!.state.anotherSystem).not.toBeNull();
    const consNSU = h.sim.calls().filter((c) => c.cnpj === victim && c.op === 'consNSU');
    expect(consNSU).toHaveLength(stolen!.to - stolen!.from + 1);
    for (const c of list.filter((x) => x.cnpj !== victim)) expect(h.store.listGaps(c.cnpj)).toEqual([]);
  });
});
