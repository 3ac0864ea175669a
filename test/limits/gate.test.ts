import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReactivate } from '../../src/cli/commands/reactivate.js';
import { ManualClock } from '../../src/clock.js';
import type { CompanyConfig } from '../../src/config/index.js';
import { countCall, limitGate, reactivateCompany } from '../../src/limits/gate.js';
import type { CompanyState } from '../../src/rules/state.js';
import type { Store } from '../../src/store/index.js';
import { cnpj, openTestStore, tempDir } from '../status/support.js';
import { limitHarness, type LimitHarness } from './support.js';

const A = cnpj('110000000001');
const H = 3_600_000;
/** 00:00 on a date in São Paulo (UTC-3). */
const localMidnight = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d, 3);
const NOV_21 = localMidnight(2026, 11, 21);
const DEC_21 = localMidnight(2026, 12, 21);

let dir: string;
let cleanup: () => void;
let clock: ManualClock;
let h: LimitHarness;
let company: CompanyConfig;

function setUp(monthlyLimit: Record<string, unknown> | undefined): void {
  h = limitHarness(dir, [{ cnpj: A, name: 'Alfa', ...(monthlyLimit === undefined ? {} : { monthlyLimit }) }], clock);
  company = h.config.companies[0]!;
}

/** What the company step does for one SEFAZ call: ask the gate, and count the call only when it goes. */
function call(): boolean {
  const gate = limitGate(h.ctx, company, clock.now());
  if (gate.allowed) countCall(h.ctx, company, clock.now());
  return gate.allowed;
}

const kinds = () => h.events.map((e) => e.kind);

beforeEach(() => {
  ({ dir, cleanup } = tempDir('limits'));
  clock = new ManualClock(NOV_21 - 5 * H); // 2026-11-20 19:00 in São Paulo, last evening of the period 2026-10-21 to 2026-11-20
});
afterEach(() => {
  h.store.close();
  cleanup();
});

describe('usage', () => {
  it('is counted per billing period for a company without a limit, and never gates it', () => {
    setUp(undefined);
    expect(company.monthlyLimit).toBeNull();
    for (let i = 0; i < 5; i++) expect(call()).toBe(true);
    clock.set(NOV_21);
    expect(call()).toBe(true);
    expect(h.store.usageOf(A, '2026-10-21')).toBe(5);
    expect(h.store.usageOf(A, '2026-11-21')).toBe(1);
    expect(h.events).toEqual([]);
  });

  it('tells countCall\'s caller the period, the count and what the call did', () => {
    setUp({ calls: 2, suspend: true });
    expect(countCall(h.ctx, company, clock.now())).toEqual({
      period: { start: '2026-10-21', end: '2026-11-20', startsAt: localMidnight(2026, 10, 21), endsAt: NOV_21 },
      used: 1,
      reached: false,
      suspended: false,
    });
    expect(countCall(h.ctx, company, clock.now())).toMatchObject({ used: 2, reached: true, suspended: true });
  });
});

describe('a limit that only notifies', () => {
  it('notifies the financial contacts once per period when reached, and never stops the capture', () => {
    setUp({ calls: 3, notify: true });
    for (let i = 0; i < 2; i++) expect(call()).toBe(true);
    expect(h.events).toEqual([]);
    expect(call()).toBe(true);
    expect(h.events).toEqual([
      {
        kind: 'limit-reached',
        cnpj: A,
        dedupeKey: `limit-reached:${A}:2026-10-21:3`,
        roles: ['financial'],
        message: `Alfa (${A}) reached its monthly limit of 3 SEFAZ calls in the period 2026-10-21 to 2026-11-20: capture goes on (monthlyLimit.suspend is off)`,
        data: { periodStart: '2026-10-21', periodEnd: '2026-11-20', used: 3, limit: 3, suspend: false },
      },
    ]);
    for (let i = 0; i < 4; i++) expect(call()).toBe(true);
    expect(h.events).toHaveLength(1);
    expect(h.store.suspensionOf(A)).toBeNull();
    expect(h.logs.filter((l) => l.level === 'warn' && l.cnpj === A)).toHaveLength(1);

    // across the boundary: a new period, counted from 0, reached again once
    clock.set(NOV_21);
    for (let i = 0; i < 5; i++) expect(call()).toBe(true);
    expect(h.events.map((e) => e.dedupeKey)).toEqual([`limit-reached:${A}:2026-10-21:3`, `limit-reached:${A}:2026-11-21:3`]);
    expect(h.store.usageOf(A, '2026-10-21')).toBe(7);
    expect(h.store.usageOf(A, '2026-11-21')).toBe(5);
  });

  it('stays silent with notify off and no suspension', () => {
    setUp({ calls: 1, notify: false });
    for (let i = 0; i < 3; i++) expect(call()).toBe(true);
    expect(h.events).toEqual([]);
  });
});

describe('a limit that suspends', () => {
  it('suspends at the limit, refuses every call until an operator reactivates it, then runs on', async () => {
    setUp({ calls: 2, notify: true, suspend: true });
    expect(call()).toBe(true);
    expect(call()).toBe(true); // the second call is made, and reaches the limit
    expect(kinds()).toEqual(['limit-reached', 'suspended']);
    expect(h.events[1]).toMatchObject({ cnpj: A, roles: ['financial', 'technical'], dedupeKey: `suspended:${A}:${clock.now()}` });
    expect(h.events[1]!.message).toContain(`until an operator runs \`dfe-sync reactivate --config ${h.config.file} --cnpj ${A}\``);
    expect(h.store.suspensionOf(A)).toEqual({
      cnpj: A, reason: 'monthly limit of 2 SEFAZ calls reached in the period 2026-10-21 to 2026-11-20', periodStart: '2026-10-21', suspendedAt: clock.now(),
    });

    const refused = limitGate(h.ctx, company, clock.now());
    expect(refused).toEqual({
      allowed: false,
      until: null,
      reason: `suspended since 2026-11-20 19:00 (monthly limit of 2 SEFAZ calls reached in the period 2026-10-21 to 2026-11-20) until an operator runs \`dfe-sync reactivate --config ${h.config.file} --cnpj ${A}\``,
    });
    // no automatic reactivation: a new period changes nothing
    clock.set(NOV_21 + 3 * H);
    expect(call()).toBe(false);
    clock.set(DEC_21 + H);
    expect(call()).toBe(false);
    expect(h.store.usageOf(A, '2026-11-21')).toBe(0);
    expect(kinds()).toEqual(['limit-reached', 'suspended']);

    const text = runReactivate({ config: h.config.file, cnpj: A }, { env: {}, clock });
    expect(text).toBe(
      `reactivated: Alfa (${A}) had been suspended since 2026-11-20 19:00 (monthly limit of 2 SEFAZ calls reached in the period 2026-10-21 to 2026-11-20)\n` +
        'usage in the period 2026-12-21 to 2027-01-20: 0 of 2 SEFAZ calls\n' +
        'a running daemon resumes its capture at its next step for this company (otherwise the next `dfe-sync run`); a "reactivated" notification goes to its legal, financial and technical contacts\n',
    );
    // the command recorded the notification for delivery to the contact's channel
    const reactivated = h.store.dueDeliveries(clock.now(), 10).filter((d) => d.kind === 'reactivated');
    expect(reactivated).toEqual([expect.objectContaining({ cnpj: A, channel: 'command:finance', payload: expect.objectContaining({ by: 'operator', companyName: 'Alfa' }) })]);

    expect(call()).toBe(true);
    expect(runReactivate({ config: h.config.file, cnpj: A }, { env: {}, clock })).toMatch(/^not suspended: Alfa \(\d+\) was not suspended; nothing changed\nusage in the period 2026-12-21 to 2027-01-20: 1 of 2 SEFAZ calls\n$/);
    expect(call()).toBe(true); // the new period's limit, reached: suspended again
    expect(call()).toBe(false);
    expect(h.store.suspensionOf(A)?.periodStart).toBe('2026-12-21');
  });

  it('reactivated within the period it was suspended in, runs on until the next period reaches the limit', () => {
    setUp({ calls: 2, notify: false, suspend: true });
    call();
    call();
    expect(kinds()).toEqual(['suspended']);
    clock.advance(H);
    const lifted = reactivateCompany(h.ctx, company, clock.now());
    expect(lifted?.periodStart).toBe('2026-10-21');
    expect(reactivateCompany(h.ctx, company, clock.now())).toBeNull();
    expect(h.events.at(-1)).toMatchObject({ kind: 'reactivated', dedupeKey: `reactivated:${A}:${NOV_21 - 5 * H}`, data: expect.objectContaining({ by: 'operator' }) });
    for (let i = 0; i < 3; i++) expect(call()).toBe(true);
    expect(h.store.usageOf(A, '2026-10-21')).toBe(5);
    clock.set(NOV_21);
    expect(call()).toBe(true);
    expect(call()).toBe(true);
    expect(call()).toBe(false);
    expect(kinds()).toEqual(['suspended', 'reactivated', 'suspended']);
  });

  it('says, when reactivated by hand after the limit in the same period, that it is not suspended again this period', () => {
    setUp({ calls: 1, suspend: true });
    call();
    const text = runReactivate({ config: h.config.file, cnpj: A }, { env: {}, clock });
    expect(text).toContain(
      'note: the limit is already reached in this period (1 of 1), so it is not suspended again before the next period starts on 2026-11-21 00:00, unless monthlyLimit.calls is raised and reached again\n',
    );
  });

  it('reactivates on its own at the first instant of the next period, once', () => {
    setUp({ calls: 2, notify: true, suspend: true, reactivateAtPeriodStart: true });
    call();
    call();
    expect(kinds()).toEqual(['limit-reached', 'suspended']);
    expect(h.events[0]!.message).toContain('its capture is suspended until the next period starts on 2026-11-21 00:00 (reactivateAtPeriodStart)');
    expect(h.events[1]!.data).toMatchObject({ reactivatesAt: new Date(NOV_21).toISOString() });

    clock.set(NOV_21 - 1);
    expect(limitGate(h.ctx, company, clock.now())).toMatchObject({ allowed: false, until: NOV_21 });
    expect(call()).toBe(false);
    expect(h.store.suspensionOf(A)).not.toBeNull();

    clock.set(NOV_21);
    expect(limitGate(h.ctx, company, clock.now())).toEqual({ allowed: true });
    expect(h.store.suspensionOf(A)).toBeNull();
    expect(h.events[2]).toEqual({
      kind: 'reactivated',
      cnpj: A,
      dedupeKey: `reactivated:${A}:${NOV_21 - 5 * H}`,
      roles: ['financial', 'technical'],
      message: `Alfa (${A}) was reactivated on its own: the period 2026-11-21 to 2026-12-20 has begun; it had been suspended since 2026-11-20 19:00 (monthly limit of 2 SEFAZ calls reached in the period 2026-10-21 to 2026-11-20); capture resumes`,
      data: { by: 'period-start', suspendedAt: new Date(NOV_21 - 5 * H).toISOString(), suspendedPeriodStart: '2026-10-21', periodStart: '2026-11-21' },
    });
    expect(h.logs.some((l) => l.level === 'info' && l.cnpj === A && l.by === 'period-start')).toBe(true);

    expect(call()).toBe(true);
    expect(kinds()).toHaveLength(3);
    expect(h.store.usageOf(A, '2026-11-21')).toBe(1);
    expect(call()).toBe(true);
    expect(call()).toBe(false); // suspended again in the new period, until its end
    expect(limitGate(h.ctx, company, clock.now())).toMatchObject({ allowed: false, until: DEC_21 });
  });

  it('lifts a suspension left from an earlier period at the daemon\'s first step, even months later', () => {
    setUp({ calls: 1, suspend: true, reactivateAtPeriodStart: true });
    call();
    clock.set(localMidnight(2027, 3, 2));
    expect(limitGate(h.ctx, company, clock.now())).toEqual({ allowed: true });
    expect(h.events.at(-1)).toMatchObject({ kind: 'reactivated', data: expect.objectContaining({ periodStart: '2027-02-21' }) });
  });

  it('tells nothing when another process lifts the suspension between the gate\'s read and its write', () => {
    setUp({ calls: 1, notify: false, suspend: true, reactivateAtPeriodStart: true });
    call();
    const other = openTestStore(join(dir, 'state'), clock); // e.g. the reactivate command's own connection
    const racing: Store<CompanyState> = Object.assign(Object.create(h.store) as Store<CompanyState>, {
      suspensionOf: (c: string) => {
        const read = h.store.suspensionOf(c);
        other.reactivate(c);
        return read;
      },
    });
    clock.set(NOV_21);
    expect(limitGate({ ...h.ctx, store: racing }, company, clock.now())).toEqual({ allowed: true });
    other.close();
    expect(kinds()).toEqual(['suspended']);
  });
});
