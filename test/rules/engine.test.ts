import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/clock.js';
import { formatNSU } from '../../src/sefaz/identifiers.js';
import {
  applyDistAnswer, applyDistFailure, applyTargetedAnswer, beginDistCall, clearStop, decideDist,
  decideTargeted, recordTargetedCall, recoverInterruptedCall,
  type DecisionContext, type DistAnswer, type DistDecision,
} from '../../src/rules/engine.js';
import { RuleInputError } from '../../src/rules/errors.js';
import {
  DEFAULT_RULE_SETTINGS, HOUR_MS, initialCompanyState, resolveRuleSettings,
  type CompanyState, type RuleSettings,
} from '../../src/rules/state.js';
import type { WindowStatus } from '../../src/rules/window.js';

const S: RuleSettings = { ...DEFAULT_RULE_SETTINGS };
const MARGIN = S.safetyMarginMs;
const OPEN: WindowStatus = { open: true, opensAt: null, closesAt: null };
const T0 = new ManualClock().now();
const half = (): number => 0;
const N = (n: number): string => formatNSU(n);

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function ctx(now: number, extra: Partial<DecisionContext> = {}): DecisionContext {
  return { now, window: OPEN, settings: S, ...extra };
}

function state(over: Partial<CompanyState> = {}): CompanyState {
  return deepFreeze({ ...initialCompanyState(), answered: true, ...over });
}

function answer(cStat: string, request: number, ult: number | null, max: number | null, docs = 0, xMotivo?: string): DistAnswer {
  return { cStat, requestUltNSU: N(request), ultNSU: ult === null ? null : N(ult), maxNSU: max === null ? null : N(max), docs, ...(xMotivo ? { xMotivo } : {}) };
}

function dist(s: CompanyState, a: DistAnswer, at: number, settings = S) {
  return applyDistAnswer(deepFreeze(s), a, at, settings, half);
}

describe('first call', () => {
  it('starts from startNSU (default 0) as 15 digits, and only the answer moves the cursor', () => {
    const s = deepFreeze(initialCompanyState());
    expect(decideDist(s, ctx(T0))).toEqual({ kind: 'call', ultNSU: N(0), reason: 'first' });
    expect(decideDist(s, ctx(T0, { startNSU: '4711' }))).toEqual({ kind: 'call', ultNSU: N(4711), reason: 'first' });
    const { state: next } = dist(s, answer('138', 4711, 4761, 5000, 50), T0 + 900);
    expect(next).toMatchObject({ ultNSU: N(4761), maxNSU: N(5000), answered: true, nextDistAt: null });
  });
});

describe('rule: back to back while ultNSU < maxNSU', () => {
  it('138 with documents remaining allows the next distNSU at once, from the returned ultNSU', () => {
    const { state: next, effects } = dist(state({ ultNSU: N(100), maxNSU: N(300) }), answer('138', 100, 150, 300, 50), T0);
    expect(effects).toEqual([]);
    expect(next.nextDistAt).toBeNull();
    expect(decideDist(next, ctx(T0))).toEqual({ kind: 'call', ultNSU: N(150), reason: 'draining' });
  });
  it('drains a backlog of 1,000 documents in 20 calls, the 20th answer ending the drain', () => {
    let s = deepFreeze(initialCompanyState());
    let calls = 0;
    let now = T0;
    for (;;) {
      const d = decideDist(s, ctx(now));
      if (d.kind !== 'call') break;
      calls++;
      const from = Number(d.ultNSU);
      const ult = Math.min(from + 50, 1000);
      s = dist(s, answer('138', from, ult, 1000, ult - from), (now += 300)).state;
    }
    expect(calls).toBe(20);
    expect(s).toMatchObject({ ultNSU: N(1000), nextDistAt: now + HOUR_MS + MARGIN, nextDistReason: 'nothing-left' });
  });
});

describe('rule: nothing left (137, or ultNSU == maxNSU) -> no distNSU for 1 h + margin after the answer arrived', () => {
  for (const [label, a] of [
    ['137', answer('137', 300, 300, 300)],
    ['138 reaching maxNSU', answer('138', 280, 300, 300, 20)],
    ['138 past maxNSU (treated as the end)', answer('138', 280, 310, 300, 20)],
  ] as const) {
    it(`${label}: waits to the millisecond`, () => {
      const received = T0 + 12_345;
      const s = state({ ultNSU: a.requestUltNSU, maxNSU: N(300) });
      const { state: next } = dist(s, a, received);
      const deadline = received + HOUR_MS + MARGIN;
      expect(next).toMatchObject({ nextDistAt: deadline, nextDistReason: 'nothing-left', failures: 0 });
      expect(decideDist(next, ctx(deadline - 1))).toEqual({ kind: 'wait', until: deadline, reason: 'nothing-left' });
      expect(decideDist(next, ctx(deadline))).toMatchObject({ kind: 'call', ultNSU: a.ultNSU, reason: 'check' });
    });
  }
  it('the margin is the configured one', () => {
    const settings = { ...S, safetyMarginMs: 7 };
    const { state: next } = dist(state({ ultNSU: N(5), maxNSU: N(5) }), answer('137', 5, 5, 5), T0, settings);
    expect(next.nextDistAt).toBe(T0 + HOUR_MS + 7);
  });
  it('does not hold up consNSU/consChNFe', () => {
    const { state: next } = dist(state({ ultNSU: N(5), maxNSU: N(5) }), answer('137', 5, 5, 5), T0);
    expect(decideTargeted(next, ctx(T0 + 1))).toEqual({ allowed: true });
  });
  it('137 without ultNSU keeps the cursor', () => {
    const { state: next } = dist(state({ ultNSU: N(5), maxNSU: N(9) }), answer('137', 5, null, null), T0);
    expect(next).toMatchObject({ ultNSU: N(5), maxNSU: N(5), nextDistReason: 'nothing-left' });
  });
});

describe('rule: 20 consNSU/consChNFe per rolling hour (19 by default)', () => {
  function calls(times: number[], settings = S): CompanyState {
    return times.reduce((s, t) => recordTargetedCall(s, t, settings), state());
  }
  it('allows 19, refuses the 20th until the oldest leaves the hour (+ margin)', () => {
    const times = Array.from({ length: 19 }, (_, i) => T0 + i * 60_000);
    const s = calls(times);
    const now = T0 + 19 * 60_000;
    const until = T0 + HOUR_MS + MARGIN;
    expect(decideTargeted(calls(times.slice(0, 18)), ctx(now))).toEqual({ allowed: true });
    expect(decideTargeted(s, ctx(now))).toEqual({ allowed: false, until, reason: 'targeted-limit' });
    expect(decideTargeted(s, ctx(until - 1))).toMatchObject({ allowed: false, until });
    expect(decideTargeted(s, ctx(until))).toEqual({ allowed: true });
  });
  it('is a rolling hour, not a clock hour', () => {
    // 10 at 13:50, 9 at 14:10: at 14:20 all 19 are within the hour.
    const s = calls([...Array(10).fill(T0 - 10 * 60_000), ...Array(9).fill(T0 + 10 * 60_000)] as number[]);
    expect(decideTargeted(s, ctx(T0 + 20 * 60_000))).toMatchObject({ allowed: false, until: T0 - 10 * 60_000 + HOUR_MS + MARGIN });
  });
  it('never allows more than 20 even when told to', () => {
    const raw = { ...S, targetedPerHour: 25 };
    const s = calls(Array.from({ length: 20 }, (_, i) => T0 + i), raw);
    expect(decideTargeted(s, ctx(T0 + 100, { settings: raw }))).toMatchObject({ allowed: false, reason: 'targeted-limit' });
    const { settings, warnings } = resolveRuleSettings({ targetedPerHour: 25 });
    expect(settings.targetedPerHour).toBe(20);
    expect(warnings.join()).toMatch(/above SEFAZ's limit of 20.*using 20/);
  });
  it('a limit of 0 disables them', () => {
    expect(decideTargeted(state(), ctx(T0, { settings: { ...S, targetedPerHour: 0 } }))).toMatchObject({ allowed: false, until: null, reason: 'targeted-limit' });
  });
  it('recording keeps the log sorted and drops calls older than the hour', () => {
    const s = calls([T0, T0 + 10, T0 + 5]);
    expect(s.targetedCalls).toEqual([T0, T0 + 5, T0 + 10]);
    expect(recordTargetedCall(s, T0 + HOUR_MS + MARGIN + 5, S).targetedCalls).toEqual([T0 + 10, T0 + HOUR_MS + MARGIN + 5]);
  });
  it('never exceeds the limit in any rolling hour, whatever the arrival of requests', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 400_000 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (gaps, limit) => {
      const settings = { ...S, targetedPerHour: limit };
      let s = state();
      let now = T0;
      const made: number[] = [];
      for (const g of gaps) {
        now += g;
        const d = decideTargeted(s, ctx(now, { settings }));
        if (d.allowed) {
          s = recordTargetedCall(s, now, settings);
          made.push(now);
        } else {
          expect(d.until).toBeGreaterThan(now);
        }
      }
      for (const t of made) expect(made.filter((u) => u > t - HOUR_MS - MARGIN && u <= t).length).toBeLessThanOrEqual(limit);
    }));
  });
});

describe('rule: 656 -> no call of any kind for 1 h + margin', () => {
  const received = T0 + 999;
  const deadline = received + HOUR_MS + MARGIN;
  it('on a distNSU: blocks distNSU and consNSU/consChNFe to the millisecond, and says another system is querying', () => {
    const s = state({ ultNSU: N(40), maxNSU: N(90) });
    const { state: next, effects } = dist(s, answer('656', 40, 40, 0, 0, 'Rejeicao: Consumo Indevido'), received);
    expect(next).toMatchObject({ blockedUntil: deadline, ultNSU: N(40), maxNSU: N(90) });
    expect(next.blockedReason).toMatch(/656/);
    expect(next.anotherSystem).toEqual({ at: received, message: expect.stringMatching(/another system is querying this CNPJ/) });
    expect(effects).toEqual([{ type: 'another-system', message: next.anotherSystem!.message }]);
    expect(decideDist(next, ctx(deadline - 1))).toEqual({ kind: 'wait', until: deadline, reason: 'blocked-656' });
    expect(decideTargeted(next, ctx(deadline - 1))).toEqual({ allowed: false, until: deadline, reason: 'blocked-656' });
    expect(decideDist(next, ctx(deadline))).toMatchObject({ kind: 'call', ultNSU: N(40) });
    expect(decideTargeted(next, ctx(deadline))).toEqual({ allowed: true });
  });
  it('on a consNSU/consChNFe: blocks the whole CNPJ, cursor untouched', () => {
    const s = state({ ultNSU: N(40), maxNSU: N(90) });
    const { state: next, effects } = applyTargetedAnswer(s, { cStat: '656' }, received, S);
    expect(next).toMatchObject({ blockedUntil: deadline, ultNSU: N(40), maxNSU: N(90), anotherSystem: { at: received } });
    expect(effects.map((e) => e.type)).toEqual(['another-system']);
    expect(decideDist(next, ctx(deadline - 1))).toMatchObject({ kind: 'wait', reason: 'blocked-656' });
  });
  it('a later block never shortens an earlier one', () => {
    const s = state({ ultNSU: N(40), blockedUntil: T0 + 10 * HOUR_MS });
    expect(applyTargetedAnswer(s, { cStat: '656' }, T0, S).state.blockedUntil).toBe(T0 + 10 * HOUR_MS);
  });
  it('other targeted answers change nothing and never move the cursor', () => {
    const s = state({ ultNSU: N(40), maxNSU: N(90) });
    for (const cStat of ['138', '137', '632', '640', '653', '589', '215', '108']) {
      expect(applyTargetedAnswer(s, { cStat }, T0, S)).toEqual({ state: s, effects: [] });
    }
  });
});

describe('rule: sequence -> adopt the ultNSU a 656 carries', () => {
  it('forwards: continue from SEFAZ\'s after the hour and report the skipped range as a gap', () => {
    const s = state({ ultNSU: N(40), maxNSU: N(90) });
    const { state: next, effects } = dist(s, answer('656', 40, 75, 0), T0);
    expect(next).toMatchObject({ ultNSU: N(75), maxNSU: N(90), blockedUntil: T0 + HOUR_MS + MARGIN });
    expect(effects).toContainEqual({ type: 'gap', fromNSU: N(41), toNSU: N(75) });
    expect(effects).toContainEqual({ type: 'ultNSU-adopted', fromNSU: N(40), toNSU: N(75) });
    expect(next.anotherSystem!.message).toMatch(/from 000000000000040 to 000000000000075/);
    expect(decideDist(next, ctx(T0 + HOUR_MS + MARGIN))).toMatchObject({ kind: 'call', ultNSU: N(75) });
  });
  it('on the very first call (the other system used the CNPJ before us)', () => {
    const { state: next, effects } = dist(deepFreeze(initialCompanyState()), answer('656', 0, 487402, 0), T0);
    expect(next).toMatchObject({ ultNSU: N(487402), maxNSU: N(487402), answered: true });
    expect(effects).toContainEqual({ type: 'gap', fromNSU: N(1), toNSU: N(487402) });
  });
  it('backwards: adopts SEFAZ\'s lower ultNSU (documents come again, none is lost) without a gap', () => {
    const { state: next, effects } = dist(state({ ultNSU: N(40), maxNSU: N(90) }), answer('656', 40, 30, 0), T0);
    expect(next).toMatchObject({ ultNSU: N(30), maxNSU: N(90) });
    expect(effects.filter((e) => e.type === 'gap')).toEqual([]);
    expect(effects).toContainEqual({ type: 'ultNSU-adopted', fromNSU: N(40), toNSU: N(30) });
  });
  it('an answer to another ultNSU than the cursor\'s is refused', () => {
    expect(() => dist(state({ ultNSU: N(40) }), answer('138', 39, 50, 60, 11), T0)).toThrow(RuleInputError);
    expect(() => dist(state({ ultNSU: N(40) }), answer('138', 39, 50, 60, 11), T0)).toThrow(/cursor is at 000000000000040/);
  });
  it('a 138 whose ultNSU is below the request does not move the cursor back', () => {
    const { state: next, effects } = dist(state({ ultNSU: N(40), maxNSU: N(400) }), answer('138', 40, 30, 400, 5), T0);
    expect(next.ultNSU).toBe(N(40));
    expect(effects[0]).toMatchObject({ type: 'unexpected-answer', cStat: '138' });
  });
});

describe('failures', () => {
  const s = state({ ultNSU: N(100), maxNSU: N(100) });
  const draining = state({ ultNSU: N(100), maxNSU: N(1000) });
  it('before the request was sent (DNS, refused, TLS): backoff, same ultNSU, even when nothing was left', () => {
    const next = applyDistFailure(s, { phase: 'before-send' }, T0, S, half);
    expect(next).toMatchObject({ ultNSU: N(100), failures: 1, nextDistAt: T0 + S.backoffBaseMs / 2, nextDistReason: 'backoff' });
    expect(decideDist(next, ctx(next.nextDistAt!))).toEqual({ kind: 'call', ultNSU: N(100), reason: 'retry' });
  });
  it('HTTP 5xx: backoff, same ultNSU', () => {
    for (const httpStatus of [500, 502, 503]) {
      expect(applyDistFailure(s, { phase: 'after-send', httpStatus }, T0, S, half)).toMatchObject({ ultNSU: N(100), nextDistReason: 'backoff' });
    }
  });
  it('backoff is exponential, capped, with jitter between half and all of the step', () => {
    let x: CompanyState = draining;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      x = applyDistFailure(x, { phase: 'before-send' }, T0, S, () => 0.999999);
      delays.push(x.nextDistAt! - T0);
    }
    expect(delays.slice(0, 5)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000]);
    expect(delays.slice(5)).toEqual([900_000, 900_000, 900_000]);
    const low = applyDistFailure(draining, { phase: 'before-send' }, T0, S, () => 0).nextDistAt! - T0;
    expect(low).toBe(15_000);
    fc.assert(fc.property(fc.integer({ min: 0, max: 80 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (failures, r) => {
      const d = applyDistFailure({ ...draining, failures }, { phase: 'before-send' }, T0, S, () => r).nextDistAt! - T0;
      const step = Math.min(S.backoffMaxMs, S.backoffBaseMs * 2 ** failures);
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
    }));
  });
  for (const cStat of ['108', '109', '999']) {
    it(`cStat ${cStat}: backoff, same ultNSU`, () => {
      const { state: next, effects } = dist(draining, answer(cStat, 100, null, null), T0);
      expect(next).toMatchObject({ ultNSU: N(100), maxNSU: N(1000), failures: 1, nextDistReason: 'backoff' });
      expect(effects).toEqual([]);
    });
  }
  describe('answer lost after sending (timeout, reset, truncated or unparsable body)', () => {
    const lost = (x: CompanyState, at = T0) => applyDistFailure(x, { phase: 'after-send' }, at, S, half);
    it('with documents certainly remaining: backoff with the same ultNSU', () => {
      expect(lost(draining)).toMatchObject({ ultNSU: N(100), nextDistReason: 'backoff', nextDistAt: T0 + 15_000 });
    });
    it('when ultNSU == maxNSU: treated as a 137, 1 h + margin from when the loss was seen', () => {
      const next = lost(s, T0 + 7);
      expect(next).toMatchObject({ ultNSU: N(100), nextDistAt: T0 + 7 + HOUR_MS + MARGIN, nextDistReason: 'lost-answer-maybe-137' });
      expect(decideDist(next, ctx(T0 + 6 + HOUR_MS + MARGIN))).toMatchObject({ kind: 'wait', reason: 'lost-answer-maybe-137' });
    });
    it('when no answer was ever seen: treated as a 137', () => {
      expect(lost(deepFreeze(initialCompanyState()))).toMatchObject({ ultNSU: null, nextDistReason: 'lost-answer-maybe-137' });
    });
    it('when at most one batch (50) remained, the lost batch may have reached maxNSU: treated as a 137', () => {
      expect(lost(state({ ultNSU: N(100), maxNSU: N(150) }))).toMatchObject({ nextDistReason: 'lost-answer-maybe-137' });
      expect(lost(state({ ultNSU: N(100), maxNSU: N(151) }))).toMatchObject({ nextDistReason: 'backoff' });
    });
    it('HTTP 504 (a gateway gave up waiting for SEFAZ) and HTTP 200 with a bad body count as lost', () => {
      expect(applyDistFailure(s, { phase: 'after-send', httpStatus: 504 }, T0, S, half).nextDistReason).toBe('lost-answer-maybe-137');
      expect(applyDistFailure(s, { phase: 'after-send', httpStatus: 200 }, T0, S, half).nextDistReason).toBe('lost-answer-maybe-137');
    });
    it('a 138 without ultNSU/maxNSU, or with malformed ones, is unusable and counts as lost', () => {
      for (const a of [answer('138', 100, null, null, 3), { ...answer('138', 100, 150, 150, 3), ultNSU: '15O' }]) {
        const { state: next, effects } = dist(s, a, T0);
        expect(next).toMatchObject({ ultNSU: N(100), nextDistReason: 'lost-answer-maybe-137' });
        expect(effects[0]).toMatchObject({ type: 'unexpected-answer' });
      }
    });
  });
  it('a 138 that does not move the cursor while more remain: backoff instead of spinning back to back', () => {
    const { state: next, effects } = dist(draining, answer('138', 100, 100, 1000, 0), T0);
    expect(next).toMatchObject({ ultNSU: N(100), maxNSU: N(1000), nextDistReason: 'backoff', failures: 1 });
    expect(effects[0]).toMatchObject({ type: 'unexpected-answer', message: expect.stringMatching(/0 document\(s\) but ultNSU unchanged/) });
  });
  it('an unknown cStat: backoff, same ultNSU, and a log-worthy effect', () => {
    const { state: next, effects } = dist(draining, answer('777', 100, null, null, 0, 'Rejeicao: algo novo'), T0);
    expect(next).toMatchObject({ ultNSU: N(100), nextDistReason: 'backoff', stopped: null });
    expect(effects).toEqual([{ type: 'unexpected-answer', cStat: '777', message: expect.stringMatching(/unknown cStat 777.*algo novo/) }]);
  });
  it('a success resets the failure count', () => {
    const failed = applyDistFailure(draining, { phase: 'before-send' }, T0, S, half);
    expect(dist(failed, answer('138', 100, 150, 1000, 50), T0 + 20_000).state.failures).toBe(0);
  });
});

describe('stops until the operator acts', () => {
  const s = state({ ultNSU: N(100), maxNSU: N(200) });
  const cases: [string, RegExp][] = [
    ['593', /CNPJ base.*certificate of this company/],
    ['589', /above SEFAZ's highest NSU.*startNSU/],
    ['252', /environment.*`environment` and `sefaz.urls`/],
    ['215', /schema.*report it/],
    ...['280', '281', '282', '283', '284', '285', '286'].map((c): [string, RegExp] => [c, /certificate/]),
  ];
  for (const [cStat, words] of cases) {
    it(`cStat ${cStat} stops the company with a message naming it and what to do`, () => {
      const { state: next, effects } = dist(s, answer(cStat, 100, null, null, 0, 'Rejeicao: texto'), T0);
      expect(next.stopped).toMatchObject({ cStat, message: expect.stringContaining(`cStat ${cStat}`) });
      expect(next.stopped!.message).toMatch(words);
      expect(next.stopped!.message).toMatch(/Rejeicao: texto/);
      expect(next.ultNSU).toBe(N(100));
      expect(effects).toEqual([{ type: 'stopped', stop: next.stopped }]);
      expect(decideDist(next, ctx(T0 + 10 * HOUR_MS))).toMatchObject({ kind: 'stopped', cStat, reason: next.stopped!.message });
      expect(decideTargeted(next, ctx(T0 + 10 * HOUR_MS))).toMatchObject({ allowed: false, until: null, reason: 'stopped' });
      expect(decideDist(clearStop(next), ctx(T0 + 10 * HOUR_MS))).toMatchObject({ kind: 'call', ultNSU: N(100) });
    });
  }
  it('593 on a consNSU/consChNFe stops the company too; 589 there concerns only that query', () => {
    expect(applyTargetedAnswer(s, { cStat: '593' }, T0, S).state.stopped).toMatchObject({ code: 'CNPJ_BASE_MISMATCH' });
    expect(applyTargetedAnswer(s, { cStat: '589' }, T0, S).state.stopped).toBeNull();
  });
  it('an expired certificate stops it, from notAfter on', () => {
    const notAfter = T0 + 5000;
    expect(decideDist(s, ctx(notAfter - 1, { certificateNotAfter: notAfter }))).toMatchObject({ kind: 'call' });
    expect(decideDist(s, ctx(notAfter, { certificateNotAfter: notAfter }))).toMatchObject({
      kind: 'stopped', code: 'CERTIFICATE_EXPIRED', reason: expect.stringMatching(/certificate expired.*renewed/),
    });
    expect(decideTargeted(s, ctx(notAfter, { certificateNotAfter: notAfter }))).toMatchObject({ allowed: false, reason: 'stopped' });
  });
});

describe('capture window', () => {
  it('outside the window: wait until it opens; targeted calls too', () => {
    const window = { open: false, opensAt: T0 + 3 * HOUR_MS, closesAt: null };
    expect(decideDist(state({ ultNSU: N(1), maxNSU: N(500) }), ctx(T0, { window }))).toEqual({ kind: 'wait', until: T0 + 3 * HOUR_MS, reason: 'outside-window' });
    expect(decideTargeted(state(), ctx(T0, { window }))).toEqual({ allowed: false, until: T0 + 3 * HOUR_MS, reason: 'outside-window' });
  });
  it('a window that never opens: wait with no end', () => {
    expect(decideDist(state(), ctx(T0, { window: { open: false, opensAt: null, closesAt: null } }))).toEqual({ kind: 'wait', until: null, reason: 'outside-window' });
  });
  it('a 656 block and the hour come before the window', () => {
    const window = { open: false, opensAt: T0 + 1, closesAt: null };
    expect(decideDist(state({ blockedUntil: T0 + 9 }), ctx(T0, { window }))).toMatchObject({ reason: 'blocked-656', until: T0 + 9 });
    expect(decideDist(state({ nextDistAt: T0 + 9, nextDistReason: 'nothing-left' }), ctx(T0, { window }))).toMatchObject({ reason: 'nothing-left' });
  });
});

describe('a distNSU in flight', () => {
  it('no second distNSU is decided while one is in flight', () => {
    const s = beginDistCall(state({ ultNSU: N(7), maxNSU: N(500) }), N(7), T0);
    expect(decideDist(s, ctx(T0 + 1))).toEqual({ kind: 'wait', until: null, reason: 'call-in-flight' });
    expect(() => beginDistCall(s, N(7), T0)).toThrow(/already in flight/);
    expect(() => beginDistCall(state({ ultNSU: N(7) }), N(8), T0)).toThrow(RuleInputError);
  });
  it('its answer clears the mark', () => {
    const s = beginDistCall(deepFreeze(initialCompanyState()), N(0), T0);
    expect(dist(s, answer('138', 0, 50, 500, 50), T0 + 100).state.distInFlight).toBeNull();
    expect(applyDistFailure(s, { phase: 'before-send' }, T0, S, half).distInFlight).toBeNull();
  });
  it('after a crash (the answer may have been the last batch), recovery waits the hour from the restart', () => {
    const s = beginDistCall(state({ ultNSU: N(450), maxNSU: N(480) }), N(450), T0);
    const restart = T0 + 30_000;
    const { state: next, effects } = recoverInterruptedCall(s, restart, S, half);
    expect(next).toMatchObject({ distInFlight: null, ultNSU: N(450), nextDistAt: restart + HOUR_MS + MARGIN, nextDistReason: 'lost-answer-maybe-137' });
    expect(effects).toEqual([{ type: 'interrupted-call', ultNSU: N(450), message: expect.stringMatching(/never had its answer applied/) }]);
    expect(recoverInterruptedCall(next, restart, S, half)).toEqual({ state: next, effects: [] });
  });
});

describe('settings', () => {
  it('defaults: 2 min margin, 19 per hour', () => {
    expect(resolveRuleSettings()).toEqual({ settings: DEFAULT_RULE_SETTINGS, warnings: [] });
    expect(DEFAULT_RULE_SETTINGS).toMatchObject({ safetyMarginMs: 120_000, targetedPerHour: 19 });
  });
  it('warns about a thin margin and refuses nonsense', () => {
    expect(resolveRuleSettings({ safetyMarginMs: 1000 }).warnings.join()).toMatch(/safetyMarginMs 1000/);
    for (const bad of [{ safetyMarginMs: -1 }, { targetedPerHour: 1.5 }, { targetedPerHour: -1 }, { backoffBaseMs: 0 }, { backoffMaxMs: 10 }]) {
      expect(() => resolveRuleSettings(bad)).toThrow(RuleInputError);
    }
  });
});

describe('the state is plain data', () => {
  it('survives a JSON round trip unchanged through every kind of transition', () => {
    let s = deepFreeze(initialCompanyState());
    s = beginDistCall(s, N(0), T0);
    s = dist(s, answer('138', 0, 50, 120, 50), T0 + 1).state;
    s = recordTargetedCall(s, T0 + 2, S);
    s = dist(s, answer('656', 50, 60, 0), T0 + 3).state;
    s = applyDistFailure(s, { phase: 'after-send' }, T0 + 4, S, half);
    s = dist(s, answer('593', 60, null, null, 0, 'x'), T0 + 5).state;
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    const d: DistDecision = decideDist(s, ctx(T0 + 6));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});
