/**
 * The engine against a model SEFAZ (modelSefaz.ts, written from DESIGN.md §2 alone) for
 * thousands of random steps per run: documents arrive at random times, another system
 * sometimes queries the same CNPJ (politely or not), calls fail in every way the design
 * sorts (before sending, HTTP 5xx, 108/109/999, answers lost after sending, crashes), and
 * time jumps to the engine's next deadline, just before it, or to random points.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatNSU } from '../../src/sefaz/identifiers.js';
import {
  applyDistAnswer, applyDistFailure, applyTargetedAnswer, beginDistCall, decideDist, decideTargeted,
  recordTargetedCall, recoverInterruptedCall, type DecisionContext, type Effect,
} from '../../src/rules/engine.js';
import { initialCompanyState, resolveRuleSettings, type CompanyState, type RuleSettings } from '../../src/rules/state.js';
import { windowStatus, type WindowRange } from '../../src/rules/window.js';
import { HOUR, ModelSefaz, type ModelAnswer } from './modelSefaz.js';

const MIN = 60_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const ZONE = 'America/Sao_Paulo';

const WINDOWS: Record<string, WindowRange[]> = {
  '24h': [{ start: 0, end: 1440 }],
  day: [{ start: 300, end: 1140 }],
  night: [{ start: 1140, end: 300 }],
  split: [{ start: 480, end: 720 }, { start: 840, end: 1080 }],
};

/** São Paulo is UTC-3 all year (no DST since 2019): the window, computed without Intl. */
function openIndependently(ranges: WindowRange[], at: number): boolean {
  const m = Math.floor((((at - 3 * HOUR) % DAY) + DAY) % DAY / MIN);
  return ranges.some((r) => (r.start < r.end ? m >= r.start && m < r.end : m >= r.start || m < r.end));
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunConfig {
  seed: number;
  steps: number;
  other: 'none' | 'polite' | 'rude';
  window: keyof typeof WINDOWS;
  marginMs: number;
  targetedPerHour: number;
  faults: number;
  initialDocs: number;
  otherAlreadyAt: number | null;
}

type Interval = [number, number];

function mergedCover(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function run(cfg: RunConfig): void {
  const rnd = mulberry32(cfg.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const between = (a: number, b: number): number => a + Math.floor(rnd() * (b - a + 1));
  const { settings } = resolveRuleSettings({
    safetyMarginMs: cfg.marginMs, targetedPerHour: cfg.targetedPerHour, backoffBaseMs: 10_000, backoffMaxMs: 600_000,
  });
  const guarded = HOUR + settings.safetyMarginMs;
  const ranges = WINDOWS[cfg.window]!;
  const model = new ModelSefaz(cfg.initialDocs, cfg.otherAlreadyAt);
  // Latency never above the margin: that is what the margin is for.
  const latency = (): number => between(0, Math.min(30_000, settings.safetyMarginMs));

  let s: CompanyState = initialCompanyState();
  let now = T0;
  let faults = cfg.faults;
  let otherActive = cfg.other !== 'none';
  let arrivalsOn = true;
  let nextArrival = now + between(0, 2 * HOUR);
  let nextOther = now + between(0, 3 * HOUR);
  let otherCalmUntil = 0;
  const cover: Interval[] = [];
  const ourTargetedSent: number[] = [];

  const context = (at: number): DecisionContext => ({ now: at, window: windowStatus(ranges, ZONE, at), settings });

  function otherActs(at: number): void {
    if (cfg.other === 'polite' && at < otherCalmUntil) return;
    if (rnd() < 0.7) {
      const a = model.distNSU('other', model.sequence, at, true);
      if (a.cStat === '137' || a.cStat === '656' || a.ultNSU === a.maxNSU) otherCalmUntil = at + HOUR + 5 * MIN;
    } else {
      model.consNSU('other', between(1, Math.max(1, model.maxNSU)), at, true);
    }
  }

  /** Lets the world happen up to `to`: documents arrive, the other system queries. */
  function world(to: number): void {
    for (;;) {
      const arrival = arrivalsOn ? nextArrival : Infinity;
      const other = otherActive ? nextOther : Infinity;
      if (Math.min(arrival, other) > to) return;
      if (arrival <= other) {
        model.addDocuments(between(0, 120));
        nextArrival += between(1, 2 * HOUR);
      } else {
        otherActs(other);
        nextOther += cfg.other === 'rude' ? between(1, HOUR) : between(HOUR, 6 * HOUR);
      }
    }
  }

  function cursor(x: CompanyState): number {
    return x.ultNSU === null ? 0 : Number(x.ultNSU);
  }

  /** Checks how one applied answer moved the cursor: only by documents received, or by an adopted 656 ultNSU with its gap. */
  function checkMove(before: CompanyState, after: CompanyState, a: ModelAnswer | null, effects: Effect[], receivedAt: number): void {
    const from = cursor(before);
    const to = cursor(after);
    if (a !== null && (a.cStat === '138' || a.cStat === '137')) {
      expect(to).toBe(a.ultNSU);
      expect(a.docs).toEqual(Array.from({ length: to - from }, (_, i) => from + 1 + i));
      if (to > from) cover.push([from + 1, to]);
      if (a.cStat === '137' || a.ultNSU === a.maxNSU) {
        expect(after.nextDistAt).toBe(receivedAt + guarded);
      } else {
        expect(after.nextDistAt).toBeNull();
      }
      return;
    }
    if (a !== null && a.cStat === '656') {
      expect(after.blockedUntil).toBe(Math.max(before.blockedUntil ?? -Infinity, receivedAt + guarded));
      expect(after.anotherSystem).toMatchObject({ at: receivedAt });
      if (a.ultNSU !== from) {
        expect(to).toBe(a.ultNSU);
        expect(a.ultNSU!).toBeGreaterThan(from);
        expect(effects).toContainEqual({ type: 'gap', fromNSU: formatNSU(from + 1), toNSU: formatNSU(a.ultNSU!) });
        cover.push([from + 1, a.ultNSU!]);
        return;
      }
    }
    expect(to).toBe(from);
    expect(effects.some((e) => e.type === 'gap')).toBe(false);
  }

  function targetedStep(): void {
    const d = decideTargeted(s, context(now));
    if (!d.allowed) {
      if (d.until !== null) expect(d.until).toBeGreaterThan(now);
      return;
    }
    expect(s.blockedUntil === null || now >= s.blockedUntil).toBe(true);
    expect(openIndependently(ranges, now)).toBe(true);
    s = recordTargetedCall(s, now, settings);
    ourTargetedSent.push(now);
    const at = now + latency();
    world(at);
    const delivered = rnd() >= faults;
    const a = model.consNSU('us', between(1, Math.max(1, model.maxNSU)), at, delivered);
    const receivedAt = at + latency();
    if (delivered) {
      const before = s;
      s = applyTargetedAnswer(s, { cStat: a.cStat }, receivedAt, settings).state;
      expect(s.ultNSU).toBe(before.ultNSU);
      if (a.cStat === '656') expect(s.blockedUntil).toBe(Math.max(before.blockedUntil ?? -Infinity, receivedAt + guarded));
    }
    now = receivedAt;
  }

  function distStep(ultNSU: string): void {
    expect(openIndependently(ranges, now)).toBe(true);
    expect(s.blockedUntil === null || now >= s.blockedUntil).toBe(true);
    expect(s.nextDistAt === null || now >= s.nextDistAt).toBe(true);
    const before = s;
    s = beginDistCall(s, ultNSU, now);
    const outcome = rnd() >= faults ? 'ok' : pick(['before-send', 'http-5xx', 'transient', 'lost', 'lost', 'crash'] as const);
    const at = now + latency();
    if (outcome === 'before-send') {
      now += between(0, 5000);
      s = applyDistFailure(s, { phase: 'before-send' }, now, settings, rnd);
    } else if (outcome === 'http-5xx') {
      now = at + latency();
      s = applyDistFailure(s, { phase: 'after-send', httpStatus: pick([500, 502, 503]) }, now, settings, rnd);
    } else if (outcome === 'transient') {
      now = at + latency();
      const cStat = pick(['108', '109', '999']);
      s = applyDistAnswer(s, { cStat, ultNSU: null, maxNSU: null, docs: 0, requestUltNSU: ultNSU }, now, settings, rnd).state;
    } else {
      world(at);
      const a = model.distNSU('us', Number(ultNSU), at, outcome === 'ok');
      if (outcome === 'ok') {
        now = at + latency();
        const out = applyDistAnswer(s, {
          cStat: a.cStat,
          ultNSU: a.ultNSU === null ? null : formatNSU(a.ultNSU),
          maxNSU: a.maxNSU === null ? null : formatNSU(a.maxNSU),
          docs: a.docs.length,
          requestUltNSU: ultNSU,
        }, now, settings, rnd);
        s = out.state;
        checkMove(before, s, a, out.effects, now);
        return;
      }
      if (outcome === 'lost') {
        now = at + between(0, 60_000);
        s = applyDistFailure(s, { phase: 'after-send', ...(rnd() < 0.3 ? { httpStatus: 504 } : {}) }, now, settings, rnd);
      } else {
        // The process died with the call in flight; it restarts later with the persisted state.
        now = at + between(0, 10 * MIN);
        const out = recoverInterruptedCall(s, now, settings, rnd);
        s = out.state;
        expect(out.effects.map((e) => e.type)).toEqual(['interrupted-call']);
      }
    }
    checkMove(before, s, null, [], now);
    expect(s.distInFlight).toBeNull();
  }

  function step(jumpAtRandom: boolean, targetedRate: number): ReturnType<typeof decideDist> {
    world(now);
    if (rnd() < targetedRate) targetedStep();
    world(now);
    const d = decideDist(s, context(now));
    if (d.kind === 'stopped') throw new Error(`the model never stops a company, yet: ${d.reason}`);
    if (d.kind === 'call') {
      distStep(d.ultNSU);
      return d;
    }
    expect(d.reason).not.toBe('call-in-flight');
    if (d.until !== null) {
      expect(d.until).toBeGreaterThan(now);
      // Honoured to the millisecond: one millisecond before the deadline it still waits.
      expect(decideDist(s, context(d.until - 1)).kind).toBe('wait');
    }
    const r = rnd();
    const until = d.until ?? now + between(MIN, 3 * HOUR);
    if (!jumpAtRandom || r < 0.6) now = until;
    else if (r < 0.85) now = between(now + 1, until);
    else now = until + between(0, 2 * HOUR);
    return d;
  }

  for (let i = 0; i < cfg.steps; i++) step(true, 0.15);

  // Everything we sent was within the rules, and each rolling hour held at most the limit.
  expect(model.ourFaults).toEqual([]);
  if (cfg.other === 'none') expect(model.ours656).toBe(0);
  for (const t of model.ourTargeted) {
    expect(model.ourTargeted.filter((u) => u > t - HOUR && u <= t).length).toBeLessThanOrEqual(settings.targetedPerHour);
  }
  for (const t of ourTargetedSent) {
    expect(ourTargetedSent.filter((u) => u > t - guarded && u <= t).length).toBeLessThanOrEqual(settings.targetedPerHour);
  }

  // Then calm: no other system, no faults, no new documents. The engine must catch up.
  otherActive = false;
  arrivalsOn = false;
  faults = 0;
  let done = false;
  const bound = 1000 + 3 * Math.ceil((model.maxNSU - cursor(s)) / 50);
  for (let i = 0; i < bound && !done; i++) {
    const d = step(false, 0);
    done = d.kind === 'wait' && d.reason === 'nothing-left' && s.ultNSU === formatNSU(model.maxNSU);
  }
  expect(done).toBe(true);
  expect(model.ourFaults).toEqual([]);
  // Nothing skipped: every NSU up to the end came in a batch or lies in a reported gap.
  if (model.maxNSU > 0) expect(mergedCover(cover)).toEqual([[1, model.maxNSU]]);
}

const configs = fc.record({
  seed: fc.integer(),
  steps: fc.constant(1500),
  other: fc.constantFrom('none', 'none', 'polite', 'rude') as fc.Arbitrary<RunConfig['other']>,
  window: fc.constantFrom(...(Object.keys(WINDOWS) as (keyof typeof WINDOWS)[])),
  marginMs: fc.integer({ min: 30_000, max: 300_000 }),
  targetedPerHour: fc.integer({ min: 1, max: 25 }),
  faults: fc.constantFrom(0, 0.05, 0.2, 0.5),
  initialDocs: fc.integer({ min: 0, max: 3000 }),
  otherUsedItBefore: fc.boolean(),
});

describe('the engine against a model SEFAZ', () => {
  it('never earns a 656 of its own, never skips or rewinds the cursor but by an adopted 656 with its gap, keeps the targeted budget and every deadline to the millisecond', () => {
    fc.assert(fc.property(configs, ({ otherUsedItBefore, ...cfg }) => {
      // The other system may have used the CNPJ before us: our first answer is then a 656.
      run({ ...cfg, otherAlreadyAt: otherUsedItBefore && cfg.other !== 'none' ? Math.floor(cfg.initialDocs / 2) : null });
    }), { numRuns: 60 });
  });
});
