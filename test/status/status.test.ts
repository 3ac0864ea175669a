import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerStatusCommand, runStatus } from '../../src/cli/commands/status.js';
import { ManualClock } from '../../src/clock.js';
import { applyDistAnswer, beginDistCall } from '../../src/rules/engine.js';
import { DEFAULT_RULE_SETTINGS, initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import { stopForCStat } from '../../src/rules/stops.js';
import type { CompanyStatus, StatusReport } from '../../src/status/index.js';
import { TABLE_WIDTH } from '../../src/status/table.js';
import { stateDbPath, type GapInput } from '../../src/store/index.js';
import { DAY, HOUR, NOW, addCompanies, answered, cnpj, doc, nsu, openTestStore, tempDir, writeConfig } from './support.js';

const A = cnpj('100000000001'); // healthy, draining
const B = cnpj('200000000001'); // 656: another system took NSUs 101..150
const C = cnpj('300000000001'); // stopped by a 593
const D = cnpj('400000000001'); // certificate expired
const E = cnpj('500000000001'); // disabled, never called
const F = cnpj('600000000001'); // configured, not yet in the database
const G = cnpj('700000000001'); // in the database, no longer configured
const H = cnpj('800000000001'); // no successful answer for 35 days
const I = cnpj('900000000001'); // certificate of another CNPJ, expiring, lease of a dead process

const settings = DEFAULT_RULE_SETTINGS;
const random = (): number => 0.5;
const XMOTIVO_656 = 'Rejeição: Consumo Indevido. Deve ser utilizado o ultNSU nas solicitações subsequentes. Tente após 1 hora';
const DEAD_PID = 4242;
const io = {
  env: {},
  clock: new ManualClock(NOW),
  host: 'test-host',
  processIsAlive: (pid: number) => pid !== DEAD_PID,
  wallNow: NOW,
};

let dir: string;
let cleanup: () => void;
let configFile: string;
let report: StatusReport;
let b656At: number;

function facts(of: string, notAfter: number, certCnpj: string = of) {
  return { cnpj: certCnpj, subject: `CN=EMPRESA ${of}`, notAfter, file: join(dir, `${of}.pfx`), mtimeMs: 1 };
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('status'));
  configFile = writeConfig(dir, [
    { cnpj: A, name: 'Alfa Comercio' },
    { cnpj: B, name: 'Beta' },
    { cnpj: C, name: 'Gama' },
    { cnpj: D, name: 'Delta' },
    { cnpj: E, name: 'Epsilon', enabled: false },
    { cnpj: F, name: 'Zeta' },
    { cnpj: H, name: 'Eta', window: '19:00-05:00' },
    { cnpj: I, name: 'Iota' },
  ]);
  const clock = new ManualClock(NOW - 40 * DAY);
  const store = openTestStore(join(dir, 'state'), clock);
  addCompanies(store, [E, H]);

  clock.set(NOW - 35 * DAY);
  const failed: CompanyState = { ...initialCompanyState(), failures: 1, nextDistAt: NOW - 35 * DAY + 30_000, nextDistReason: 'backoff' };
  store.recordCall(H, failed, { at: NOW - 35 * DAY, op: 'distNSU', requestNSU: nsu(0), cStat: null, xMotivo: null, docs: 0, ms: 10, error: 'CONNECT_ERROR' });

  clock.set(NOW - 2 * DAY);
  addCompanies(store, [A, B, C, D, G, I], { [G]: 'Removed Ltda' });

  clock.set(NOW - 10 * 60_000);
  const a = applyDistAnswer(
    beginDistCall(initialCompanyState(), nsu(0), clock.now()),
    { cStat: '138', ultNSU: nsu(3), maxNSU: nsu(300), docs: 3, requestUltNSU: nsu(0) },
    clock.now(),
    settings,
    random,
  );
  store.commitDistBatch(A, { docs: [doc(1, 1), doc(2, 2), doc(3, 3)], state: a.state, call: answered(clock.now(), 0, 3, { ultNSU: nsu(3), maxNSU: nsu(300) }) });
  store.saveCertificateFacts(A, facts(A, NOW + 200 * DAY));
  store.commitDistBatch(G, { docs: [doc(1, 11)], state: { ...initialCompanyState(), ultNSU: nsu(1), maxNSU: nsu(1), answered: true }, call: answered(clock.now(), 0, 1) });

  clock.set(NOW - 30 * 60_000);
  const bBefore: CompanyState = { ...initialCompanyState(), ultNSU: nsu(100), maxNSU: nsu(100), answered: true };
  const b = applyDistAnswer(
    beginDistCall(bBefore, nsu(100), clock.now()),
    { cStat: '656', xMotivo: XMOTIVO_656, ultNSU: nsu(150), maxNSU: nsu(160), docs: 0, requestUltNSU: nsu(100) },
    clock.now() + 100,
    settings,
    random,
  );
  b656At = clock.now() + 100;
  const gaps: GapInput[] = b.effects.flatMap((e) => (e.type === 'gap' ? [{ fromNSU: e.fromNSU, toNSU: e.toNSU }] : []));
  expect(gaps).toEqual([{ fromNSU: nsu(101), toNSU: nsu(150) }]);
  store.recordCall(B, b.state, { at: clock.now(), op: 'distNSU', requestNSU: nsu(100), cStat: '656', xMotivo: XMOTIVO_656, ultNSU: nsu(150), maxNSU: nsu(160), docs: 0, ms: 100 }, gaps);
  store.saveCertificateFacts(B, facts(B, NOW + 100 * DAY));

  clock.set(NOW - HOUR);
  const stop = stopForCStat('593', 'dist', 'Rejeição: CNPJ-Base consultado difere do CNPJ-Base do Certificado Digital')!;
  store.recordCall(C, { ...initialCompanyState(), answered: true, stopped: stop }, { at: clock.now(), op: 'distNSU', requestNSU: nsu(0), cStat: '593', xMotivo: 'Rejeição: CNPJ-Base consultado difere do CNPJ-Base do Certificado Digital', docs: 0, ms: 30 });
  store.saveCertificateFacts(C, facts(C, NOW + 100 * DAY));
  store.recordCall(D, { ...initialCompanyState(), ultNSU: nsu(0), maxNSU: nsu(0), answered: true, nextDistAt: NOW + 2 * 60_000, nextDistReason: 'nothing-left' }, answered(clock.now(), 0, 0));
  store.saveCertificateFacts(D, facts(D, NOW - 2 * DAY));
  store.saveCertificateFacts(I, facts(I, NOW + 10 * DAY + HOUR, A));
  store.acquireLeases([I], { host: 'test-host', pid: DEAD_PID, id: 'crashed' }, 10 * 60_000, NOW - 60_000);
  store.acquireLeases([A], { host: 'test-host', pid: 1, id: 'alive' }, 10 * 60_000, NOW - 60_000);
  store.close();

  report = JSON.parse(runStatus({ config: configFile, json: true }, io)) as StatusReport;
});
afterAll(() => cleanup());

function row(c: string): CompanyStatus {
  const found = report.companies.find((x) => x.cnpj === c);
  if (found === undefined) throw new Error(`no row for ${c}`);
  return found;
}

const ISO = (v: unknown): boolean => typeof v === 'string' && new Date(v).toISOString() === v;
const nullOr = (check: (v: unknown) => boolean) => (v: unknown): boolean => v === null || check(v);
const NSU15 = (v: unknown): boolean => typeof v === 'string' && /^[0-9]{15}$/.test(v);
const str = (v: unknown): boolean => typeof v === 'string';

describe('status --json', () => {
  it('has the report fields, and one row per configured CNPJ in config order, then those no longer configured', () => {
    expect(report).toMatchObject({ generatedAt: new Date(NOW).toISOString(), config: configFile, stateDir: join(dir, 'state'), environment: 'homologation' });
    expect(report.companies.map((c) => c.cnpj)).toEqual([A, B, C, D, E, F, H, I, G]);
  });

  it('gives every field its documented type', () => {
    const types: Record<string, (v: unknown) => boolean> = {
      cnpj: str,
      name: str,
      enabled: (v) => typeof v === 'boolean',
      window: str,
      ultNSU: nullOr(NSU15),
      maxNSU: nullOr(NSU15),
      documents: (v) => Number.isInteger(v),
      lastCallAt: nullOr(ISO),
      lastOp: nullOr(str),
      lastCStat: nullOr(str),
      lastXMotivo: nullOr(str),
      nextDistAt: nullOr(ISO),
      next: (v) => typeof v === 'string' && v.length > 0,
      blockedUntil: nullOr(ISO),
      certificateCnpj: nullOr(str),
      certificateNotAfter: nullOr(ISO),
      certificateDaysLeft: nullOr((v) => Number.isInteger(v)),
      anotherSystem: (v) => typeof v === 'boolean',
      gaps: (v) => Array.isArray(v) && v.every((g) => NSU15(g.fromNSU) && NSU15(g.toNSU)),
      queue: (v) => Number.isInteger(v),
      targetedCallsLastHour: (v) => Number.isInteger(v),
      summariesPending: (v) => Number.isInteger(v),
      problems: (v) => Array.isArray(v) && v.every(str),
    };
    for (const company of report.companies) {
      for (const [field, ok] of Object.entries(types)) {
        expect(field in company, `${company.cnpj}.${field} present`).toBe(true);
        expect(ok((company as unknown as Record<string, unknown>)[field]), `${company.cnpj}.${field} = ${JSON.stringify((company as unknown as Record<string, unknown>)[field])}`).toBe(true);
      }
    }
  });

  it('shows a healthy draining company with no problems, its next distNSU now', () => {
    expect(row(A)).toMatchObject({
      name: 'Alfa Comercio', enabled: true, window: '24h', ultNSU: nsu(3), maxNSU: nsu(300), documents: 3,
      lastCallAt: new Date(NOW - 10 * 60_000).toISOString(), lastOp: 'distNSU', lastCStat: '138',
      nextDistAt: report.generatedAt, nextReason: 'draining', blockedUntil: null,
      certificateCnpj: A, certificateNotAfter: new Date(NOW + 200 * DAY).toISOString(), certificateDaysLeft: 200,
      anotherSystem: false, gaps: [], problems: [],
    });
    expect(row(A).next).toBe(`draining from ultNSU ${nsu(3)}`);
  });

  it('reports a 656 despite every rule kept as another system, with its block and the gap it left', () => {
    const b = row(B);
    const until = new Date(b656At + HOUR + settings.safetyMarginMs).toISOString();
    expect(b).toMatchObject({ anotherSystem: true, blockedUntil: until, nextDistAt: until, nextReason: 'blocked-656', lastCStat: '656', lastXMotivo: XMOTIVO_656, ultNSU: nsu(150) });
    expect(b.gaps).toEqual([{ fromNSU: nsu(101), toNSU: nsu(150) }]);
    expect(b.problems).toHaveLength(2);
    expect(b.problems[0]).toMatch(/^SEFAZ answered 656 at 2026-11-20 11:30(:00)? although every rule was kept: another system is querying this CNPJ; find and stop it/);
    expect(b.problems[1]).toMatch(new RegExp(`^50 NSUs taken by another system are missing here \\(${nsu(101)}-${nsu(150)}\\): dfe-sync fetches them with consNSU`));
    expect(b.next).toMatch(/^blocked by 656 until 12:3\d/);
  });

  it('says why a stopped company stopped, with no next distNSU', () => {
    expect(row(C)).toMatchObject({ nextDistAt: null, nextReason: 'stopped', lastCStat: '593' });
    expect(row(C).problems).toEqual([expect.stringMatching(/^stopped by SEFAZ cStat 593: .*configure a certificate of this company/)]);
  });

  it('reports an expired certificate, which stops the company as the daemon would', () => {
    expect(row(D)).toMatchObject({ certificateDaysLeft: -2, nextDistAt: null, nextReason: 'stopped' });
    expect(row(D).problems).toEqual([expect.stringMatching(/certificate in .* expired on 2026-11-18: install the company's renewed e-CNPJ A1 certificate/)]);
  });

  it('shows a disabled company without a next call and without the silence warning', () => {
    expect(row(E)).toMatchObject({ enabled: false, nextDistAt: null, nextReason: 'disabled', lastCallAt: null, certificateCnpj: null });
    expect(row(E).problems).toEqual([expect.stringMatching(/^certificate not read yet: the daemon reads .* on the company's first call; run dfe-sync doctor/)]);
  });

  it('lists a configured company the database does not have yet', () => {
    expect(row(F)).toMatchObject({ ultNSU: null, maxNSU: null, documents: 0, lastCallAt: null, nextReason: 'first' });
    expect(row(F).problems).toEqual([expect.stringMatching(/^not in the state database yet: the daemon adds it when it starts or reloads/)]);
  });

  it('lists a CNPJ no longer configured, marked as such', () => {
    expect(row(G)).toMatchObject({ inConfig: false, enabled: false, name: 'Removed Ltda', documents: 1, nextDistAt: null, nextReason: 'not-in-config', problems: [] });
    expect(row(G).next).toMatch(/^not in config/);
  });

  it('warns of a company without a successful answer for more than 30 days (the 60-day rule), waiting for its window', () => {
    const h = row(H);
    expect(h).toMatchObject({ lastCStat: null, lastError: 'CONNECT_ERROR', window: '19:00-05:00', nextReason: 'outside-window' });
    expect(h.nextDistAt).toBe(new Date(Date.UTC(2026, 10, 20, 22, 0, 0)).toISOString()); // 19:00 in São Paulo
    expect(h.problems).toContainEqual(expect.stringMatching(/^no successful SEFAZ answer \(cStat 137 or 138\) for more than 30 days \(the last call, at .*, failed \(CONNECT_ERROR\)\): SEFAZ stops generating NSUs for a CNPJ silent for 60 days/));
  });

  it("reports a certificate of another CNPJ, one expiring within 30 days, and a dead process's lease", () => {
    const i = row(I);
    expect(i).toMatchObject({ certificateCnpj: A, certificateDaysLeft: 10 });
    expect(i.problems).toEqual([
      expect.stringMatching(new RegExp(`belongs to CNPJ ${A}, not to this company .*SEFAZ answers 593`)),
      expect.stringMatching(/expires in 10 days, on 2026-11-30: renew it/),
      expect.stringMatching(new RegExp(`^lease held by process ${DEAD_PID} on test-host, which is no longer running`)),
    ]);
  });
});

describe('status table', () => {
  let text: string;
  beforeAll(() => {
    text = runStatus({ config: configFile }, io);
  });

  it('has a row per company with its cursor, last call in local time and next distNSU, within 120 columns', () => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('CNPJ'));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 1 + report.companies.length);
    expect(rows.map((r) => r.slice(0, 14))).toEqual(report.companies.map((c) => c.cnpj));
    for (const l of lines.slice(header, header + 1 + rows.length)) expect(l.length).toBeLessThanOrEqual(TABLE_WIDTH);
    const a = rows[0]!;
    expect(a).toMatch(/Alfa Comercio\s+24h\s+3\s+300\s+3 \+3\s+11:50 distNSU 138\s+now draining\s+-\s+3\s+200d/);
    expect(rows[1]).toMatch(/12:3\d 656 block/);
    expect(rows[2]).toMatch(/stopped/);
    expect(rows.at(-1)).toMatch(/Removed Ltda .*not in config/);
    expect(rows[6]).toMatch(/19:00 window/);
  });

  it('lists every problem under the table, in sentences', () => {
    const problems = text.slice(text.indexOf('Problems ('));
    expect(problems).toMatch(/^Problems \(\d+\):/);
    const flat = problems.replace(/\n {2}/g, ' ');
    for (const c of report.companies) {
      for (const p of c.problems) expect(flat).toContain(p);
    }
    for (const l of problems.split('\n')) expect(l.length).toBeLessThanOrEqual(TABLE_WIDTH);
  });
});

describe('status without a database', () => {
  it('says per company that the daemon has not run, and creates nothing', () => {
    const t = tempDir('status-empty');
    try {
      const file = writeConfig(t.dir, [{ cnpj: A }, { cnpj: B }]);
      const r = JSON.parse(runStatus({ config: file, json: true }, io)) as StatusReport;
      expect(r.companies.map((c) => c.cnpj)).toEqual([A, B]);
      for (const c of r.companies) {
        expect(c.problems).toEqual([expect.stringMatching(/^no state yet: the daemon has not run/)]);
        expect(c).toMatchObject({ ultNSU: null, documents: 0, lastCStat: null, blockedUntil: null });
      }
      expect(existsSync(join(t.dir, 'state'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});

describe('status command', () => {
  const exitCode = process.exitCode;
  afterEach(() => {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  });

  it('prints JSON with --json and exits 0 although problems are listed', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const program = new Command();
    registerStatusCommand(program);
    await program.parseAsync(['node', 'dfe-sync', 'status', '--config', configFile, '--json']);
    const parsed = JSON.parse(out.join('')) as StatusReport;
    expect(parsed.companies.map((c) => c.cnpj)).toEqual(report.companies.map((c) => c.cnpj));
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('exits 2 with "dfe-sync: …" when the config cannot be read', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const program = new Command();
    registerStatusCommand(program);
    await program.parseAsync(['node', 'dfe-sync', 'status', '--config', join(dir, 'missing.yaml')]);
    expect(err.join('')).toMatch(/^dfe-sync: .*missing\.yaml: config file not found/);
    expect(process.exitCode).toBe(2);
  });

  it("turns commander's complaints into usage errors: exit code 2", async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    const program = new Command();
    registerStatusCommand(program);
    await expect(program.parseAsync(['node', 'dfe-sync', 'status', '--bogus'])).rejects.toThrow('exit 2');
    expect(exit).toHaveBeenCalledWith(2);
    expect(err.join('')).toMatch(/^dfe-sync: unknown option '--bogus'/);
  });

  it('never writes to the state database', () => {
    const db = stateDbPath(join(dir, 'state'));
    const before = readFileSync(db);
    runStatus({ config: configFile, json: true }, io);
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});

describe('another system flag', () => {
  it('shows while the 656 is recent and not once a week has passed', async () => {
    const { anotherSystemProblem, recentAnotherSystem, ANOTHER_SYSTEM_SHOWN_MS } = await import('../../src/status/problems.js');
    const at = Date.UTC(2026, 10, 20, 12);
    const flag = { at, message: 'x' };
    const w = (now: number) => ({ now, timeZone: 'America/Sao_Paulo' });
    expect(anotherSystemProblem(flag, w(at + 1000))).toMatch(/another system is querying this CNPJ/);
    expect(recentAnotherSystem(flag, at + ANOTHER_SYSTEM_SHOWN_MS - 1)).toBe(flag);
    expect(anotherSystemProblem(flag, w(at + ANOTHER_SYSTEM_SHOWN_MS))).toBeNull();
    expect(recentAnotherSystem(null, at)).toBeNull();
  });
});
