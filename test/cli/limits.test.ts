import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLimitsCommand, runLimits } from '../../src/cli/commands/limits.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { countCall } from '../../src/limits/gate.js';
import { createLogger } from '../../src/log/logger.js';
import { stateDbPath } from '../../src/store/index.js';
import { NOW, addCompanies, cnpj, openTestStore, outcome, tempDir } from '../status/support.js';
import { writeLimitConfig } from '../limits/support.js';

const A = cnpj('110000000001'); // limit reached: suspended until the next period
const B = cnpj('220000000001'); // notify only, periods from the 5th
const C = cnpj('330000000001'); // no limit
const clock = new ManualClock(NOW); // 2026-11-20 12:00 in São Paulo

let dir: string;
let cleanup: () => void;
let file: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('limits-cli'));
  file = writeLimitConfig(dir, [
    { cnpj: A, name: 'Alfa', monthlyLimit: { calls: 3, suspend: true, reactivateAtPeriodStart: true } },
    { cnpj: B, name: 'Beta', monthlyLimit: { calls: 50, periodStartDay: 5 } },
    { cnpj: C, name: 'Gama' },
  ]);
});
afterAll(() => cleanup());

function count(config: ReturnType<typeof loadConfig>, cnpjs: Record<string, number>): void {
  const store = openTestStore(config.stateDir, clock);
  addCompanies(store, [A, B, C]);
  const ctx = { config, store, notify: () => {}, logger: createLogger({ level: 'silent' }) };
  for (const [c, n] of Object.entries(cnpjs)) {
    for (let i = 0; i < n; i++) countCall(ctx, config.companies.find((x) => x.cnpj === c)!, clock.now());
  }
  store.close();
}

describe('limits', () => {
  it('shows the configured limits with nothing used before the daemon ran, without creating the database', async () => {
    const r = await outcome(() => runLimits({ config: file, json: true }, { env: {}, clock }));
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ databaseFound: false, timezone: 'America/Sao_Paulo' });
    expect(report.companies.map((c: { used: number }) => c.used)).toEqual([0, 0, 0]);
    expect(existsSync(stateDbPath(join(dir, 'state')))).toBe(false);
    expect((await outcome(() => runLimits({ config: file }, { env: {}, clock }))).stdout).toContain(
      `No state yet (no database at ${stateDbPath(join(dir, 'state'))}): nothing counted or suspended so far.`,
    );
  });

  it('gives each company its limit, period, usage and suspension as JSON', async () => {
    count(loadConfig(file, {}), { [A]: 3, [B]: 12, [C]: 7 });
    const r = await outcome(() => runLimits({ config: file, json: true }, { env: {}, clock }));
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      generatedAt: '2026-11-20T15:00:00.000Z',
      config: file,
      timezone: 'America/Sao_Paulo',
      database: stateDbPath(join(dir, 'state')),
      databaseFound: true,
      companies: [
        {
          cnpj: A,
          name: 'Alfa',
          limit: { calls: 3, notify: true, suspend: true, reactivateAtPeriodStart: true, periodStartDay: 21 },
          period: { start: '2026-10-21', end: '2026-11-20', startsAt: '2026-10-21T03:00:00.000Z', endsAt: '2026-11-21T03:00:00.000Z' },
          used: 3,
          remaining: 0,
          suspended: {
            since: '2026-11-20T15:00:00.000Z',
            reason: 'monthly limit of 3 SEFAZ calls reached in the period 2026-10-21 to 2026-11-20',
            periodStart: '2026-10-21',
            reactivatesAt: '2026-11-21T03:00:00.000Z',
          },
        },
        {
          cnpj: B,
          name: 'Beta',
          limit: { calls: 50, notify: true, suspend: false, reactivateAtPeriodStart: false, periodStartDay: 5 },
          period: { start: '2026-11-05', end: '2026-12-04', startsAt: '2026-11-05T03:00:00.000Z', endsAt: '2026-12-05T03:00:00.000Z' },
          used: 12,
          remaining: 38,
          suspended: null,
        },
        {
          cnpj: C,
          name: 'Gama',
          limit: null,
          period: { start: '2026-10-21', end: '2026-11-20', startsAt: '2026-10-21T03:00:00.000Z', endsAt: '2026-11-21T03:00:00.000Z' },
          used: 7,
          remaining: null,
          suspended: null,
        },
      ],
    });
  });

  it('prints a table people read, with how to lift each suspension', async () => {
    const r = await outcome(() => runLimits({ config: file }, { env: {}, clock }));
    expect(r.stdout).toBe(
      [
        'dfe-sync limits at 2026-11-20 12:00 America/Sao_Paulo: SEFAZ calls per billing period, 3 companies',
        `config ${file}, state ${stateDbPath(join(dir, 'state'))}`,
        '',
        'CNPJ            NAME  PERIOD                  USED     LIMIT  ON LIMIT               STATE',
        `${A}  Alfa  2026-10-21..2026-11-20     3         3  notify, suspend, auto  suspended until 11-21 00:00`,
        `${B}  Beta  2026-11-05..2026-12-04    12        50  notify                 active`,
        `${C}  Gama  2026-10-21..2026-11-20     7  no limit  -                      active`,
        '',
        'ON LIMIT: what reaching the limit does (notify the financial contacts, suspend the capture, auto: reactivate when the',
        '  next period starts).',
        '',
        `${A} Alfa: suspended since 2026-11-20 12:00 (monthly limit of 3 SEFAZ calls reached in the period 2026-10-21`,
        '  to 2026-11-20); lift it with:',
        `  dfe-sync reactivate --config ${file} --cnpj ${A}`,
        '',
        '',
      ].join('\n'),
    );
  });

  it('says a suspension from an ended period is lifted at the daemon\'s next step', async () => {
    const later = new ManualClock(Date.UTC(2026, 10, 21, 3));
    const r = JSON.parse((await outcome(() => runLimits({ config: file, json: true }, { env: {}, clock: later }))).stdout);
    expect(r.companies[0]).toMatchObject({ used: 0, period: { start: '2026-11-21' }, suspended: { reactivatesAt: '2026-11-21T03:00:00.000Z' } });
    expect((await outcome(() => runLimits({ config: file }, { env: {}, clock: later }))).stdout).toContain('suspended, lifts at next step');
  });

  it('registers `limits` with --config and --json', () => {
    const program = new Command();
    registerLimitsCommand(program);
    const command = program.commands.find((c) => c.name() === 'limits');
    expect(command?.options.map((o) => o.long)).toEqual(['--config', '--json']);
  });
});
