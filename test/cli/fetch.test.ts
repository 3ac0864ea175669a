import Database from 'better-sqlite3';
import { Command } from 'commander';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { estimateLastSend, registerFetchCommand, runFetch, type FetchOptions } from '../../src/cli/commands/fetch.js';
import { ManualClock } from '../../src/clock.js';
import { parseWindow } from '../../src/config/index.js';
import { DEFAULT_RULE_SETTINGS, initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import { stopForCStat } from '../../src/rules/stops.js';
import { formatLocalTime } from '../../src/time/zone.js';
import { stateDbPath } from '../../src/store/index.js';
import { HOUR, NOW, accessKey, addCompanies, cnpj, nsu, openTestStore, outcome, tempDir, writeConfig } from '../status/support.js';

const A = cnpj('110000000001');
const B = cnpj('220000000001'); // targetedPerHour 5, 5 calls in the last hour
const MARGIN = DEFAULT_RULE_SETTINGS.safetyMarginMs;
const wrongDigit = (key: string): string => key.slice(0, 43) + String((Number(key[43]) + 1) % 10);

let dir: string;
let cleanup: () => void;
let file: string;
const clock = new ManualClock(NOW);
const io = { env: {}, clock };
const fetch = (o: Partial<FetchOptions>) => outcome(() => runFetch({ config: file, cnpj: A, key: [], ...o }, io));
/** The company's queue as the table holds it, read without touching it. */
function queue(c: string): { op: string; value: string; reason: string; state: string }[] {
  const db = new Database(stateDbPath(join(dir, 'state')), { readonly: true });
  try {
    return db.prepare('SELECT op, value, reason, state FROM targeted_queue WHERE cnpj = ? ORDER BY id').all(c) as never;
  } finally {
    db.close();
  }
}
function waiting(c: string): number {
  const store = openTestStore(join(dir, 'state'), clock);
  try {
    return store.countTargetedQueued(c);
  } finally {
    store.close();
  }
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('fetch'));
  file = writeConfig(dir, [{ cnpj: A, name: 'Alfa' }, { cnpj: B, name: 'Beta', targetedPerHour: 5 }]);
  const store = openTestStore(join(dir, 'state'), clock);
  addCompanies(store, [A, B]);
  const calls = [NOW - 50 * 60_000, NOW - 40 * 60_000, NOW - 30 * 60_000, NOW - 20 * 60_000, NOW - 10 * 60_000];
  store.saveState(B, { ...initialCompanyState(), targetedCalls: calls });
  for (const at of [NOW - 2 * HOUR, ...calls]) store.recordTargetedCall(B, 'consChNFe', at);
  store.close();
});
afterAll(() => cleanup());

describe('fetch --key', () => {
  it('queues one consChNFe per key, listing ids, and how many wait within the budget', async () => {
    const [k1, k2, k3] = [accessKey(1), accessKey(2), accessKey(3)];
    const r = await fetch({ key: [k1, k2, k3, k1] });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`consChNFe for ${A} (Alfa):`);
    expect(lines.slice(1, 4)).toEqual([`  ${k1}  queued, id 1`, `  ${k2}  queued, id 2`, `  ${k3}  queued, id 3`]);
    expect(lines[4]).toBe(
      `3 targeted queries wait for ${A}, sent oldest first within its budget of 19 consChNFe/consNSU per rolling hour ` +
        '(targetedPerHour; 0 sent in the last hour): all of them can go out at once.',
    );
    expect(lines[5]).toBe('A running daemon picks them up within a few seconds; without one they wait for the next `dfe-sync run`.');
    expect(waiting(A)).toBe(3);
  });

  it('does not queue a key already waiting', async () => {
    const r = await fetch({ key: [accessKey(2), accessKey(4)] });
    expect(r.stdout).toContain(`  ${accessKey(2)}  already waiting: not queued twice\n  ${accessKey(4)}  queued, id 4\n4 targeted queries wait`);
    expect(waiting(A)).toBe(4);
    expect(queue(A).map((q) => [q.op, q.value, q.reason])).toEqual([1, 2, 3, 4].map((n) => ['consChNFe', accessKey(n), 'manual']));
  });

  it('says when the last one goes out when the hourly budget is spent', async () => {
    const r = await fetch({ cnpj: B, key: [accessKey(7), accessKey(8)] });
    expect(r.stdout).toContain('2 targeted queries wait for');
    expect(r.stdout).toContain('within its budget of 5 consChNFe/consNSU per rolling hour (targetedPerHour; 5 sent in the last hour)');
    // the 2nd of them waits for the 2nd call of the hour to leave it
    const at = NOW - 40 * 60_000 + HOUR + MARGIN;
    expect(r.stdout).toContain(`the last of them should go out around 2026-11-20 ${formatLocalTime(at, 'America/Sao_Paulo')} if the daemon runs`);
  });
});

describe('fetch --nsu', () => {
  it('queues one consNSU with the NSU in 15 digits', async () => {
    const r = await fetch({ nsu: '42' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^consNSU for ${A} \\(Alfa\\):\\n  ${nsu(42)}  queued, id 7\\n5 targeted queries wait`));
    expect(queue(A).at(-1)).toEqual({ op: 'consNSU', value: nsu(42), reason: 'manual', state: 'pending' });
  });
});

describe('fetch usage errors (exit 2, nothing queued)', () => {
  it.each([
    [{ key: [accessKey(9)], nsu: '5' }, /--key and --nsu cannot be combined/],
    [{}, /say what to fetch: --key K \(repeatable\) for consChNFe, or --nsu N for consNSU/],
    [{ nsu: 'abc' }, /--nsu "abc" is not an NSU: up to 15 digits/],
    [{ nsu: '1234567890123456' }, /is not an NSU/],
    [{ nsu: '000' }, /--nsu 0 names no document/],
    [{ key: [accessKey(9), wrongDigit(accessKey(10))] }, /the check digit is wrong/],
    [{ cnpj: cnpj('990000000001'), key: [accessKey(9)] }, /is not a company of/],
  ])('%j', async (o, message) => {
    const before = waiting(A);
    const r = await fetch(o);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(waiting(A)).toBe(before);
  });
});

describe('fetch command line', () => {
  const exitCode = process.exitCode;
  afterEach(() => {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  });

  it('takes --key several times', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const program = new Command();
    registerFetchCommand(program);
    await program.parseAsync(['node', 'dfe-sync', 'fetch', '--config', file, '--cnpj', A, '--key', accessKey(11), '--key', accessKey(12)]);
    expect(out.join('')).toMatch(/queued, id 8\n.*queued, id 9\n7 targeted queries wait/);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('exits 2 with both --key and --nsu', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const program = new Command();
    registerFetchCommand(program);
    await program.parseAsync(['node', 'dfe-sync', 'fetch', '--config', file, '--cnpj', A, '--key', accessKey(13), '--nsu', '7']);
    expect(err.join('')).toMatch(/^dfe-sync: --key and --nsu cannot be combined/);
    expect(process.exitCode).toBe(2);
  });
});

describe('estimateLastSend', () => {
  const windowOf = (text: string) => {
    const parsed = parseWindow(text);
    if (!parsed.ok) throw new Error(text);
    return { window: parsed.window };
  };
  const company = windowOf('24h');
  const tz = 'America/Sao_Paulo';
  const settings = { ...DEFAULT_RULE_SETTINGS, targetedPerHour: 3 };
  const state = (s: Partial<CompanyState> = {}): CompanyState => ({ ...initialCompanyState(), ...s });

  it('sends up to the budget at once, then as the rolling hour frees', () => {
    expect(estimateLastSend(state(), 3, company, tz, settings, NOW)).toEqual({ kind: 'at', at: NOW });
    expect(estimateLastSend(state(), 4, company, tz, settings, NOW)).toEqual({ kind: 'at', at: NOW + HOUR + MARGIN });
    expect(estimateLastSend(state(), 7, company, tz, settings, NOW)).toEqual({ kind: 'at', at: NOW + 2 * (HOUR + MARGIN) });
    const recent = state({ targetedCalls: [NOW - 30 * 60_000, NOW - 20 * 60_000] });
    expect(estimateLastSend(recent, 2, company, tz, settings, NOW)).toEqual({ kind: 'at', at: NOW - 30 * 60_000 + HOUR + MARGIN });
  });

  it('waits out a 656 block and a closed window, and says why nothing goes for a stopped company', () => {
    expect(estimateLastSend(state({ blockedUntil: NOW + HOUR }), 1, company, tz, settings, NOW)).toEqual({ kind: 'at', at: NOW + HOUR });
    const night = windowOf('19:00-05:00'); // NOW is 12:00 in São Paulo
    expect(estimateLastSend(state(), 1, night, tz, settings, NOW)).toEqual({ kind: 'at', at: NOW + 7 * HOUR });
    const stopped = state({ stopped: stopForCStat('593', 'targeted', 'CNPJ-Base difere')! });
    expect(estimateLastSend(stopped, 1, company, tz, settings, NOW)).toEqual({ kind: 'never', why: expect.stringMatching(/^stopped by SEFAZ cStat 593/) });
  });
});
