import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReactivateCommand, runReactivate } from '../../src/cli/commands/reactivate.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { countCall } from '../../src/limits/gate.js';
import { createLogger } from '../../src/log/logger.js';
import { stateDbPath } from '../../src/store/index.js';
import { NOW, addCompanies, cnpj, openTestStore, outcome, tempDir } from '../status/support.js';
import { writeLimitConfig } from '../limits/support.js';

const A = cnpj('110000000001');
const B = cnpj('220000000001'); // no limit
const clock = new ManualClock(NOW); // 2026-11-20 12:00 in São Paulo

let dir: string;
let cleanup: () => void;
let file: string;
const reactivate = (c: string) => outcome(() => runReactivate({ config: file, cnpj: c }, { env: {}, clock, logger: createLogger({ level: 'silent' }) }));

beforeAll(() => {
  ({ dir, cleanup } = tempDir('reactivate'));
  file = writeLimitConfig(dir, [{ cnpj: A, name: 'Alfa', monthlyLimit: { calls: 2, suspend: true } }, { cnpj: B, name: 'Beta' }]);
});
afterAll(() => cleanup());

describe('reactivate', () => {
  it('refuses a CNPJ that is not a company of the config, with exit code 2', async () => {
    const r = await reactivate(cnpj('990000000001'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/is not a company of .*config\.yaml/);
    expect((await reactivate('123')).exitCode).toBe(2);
  });

  it('says nothing was suspended before the daemon ran, and does not create the database', async () => {
    const r = await reactivate(A);
    expect(r).toEqual({
      stdout: `not suspended: Alfa (${A}) was not suspended (no state database yet at ${stateDbPath(join(dir, 'state'))}); nothing changed\n` +
        'usage in the period 2026-10-21 to 2026-11-20: 0 of 2 SEFAZ calls\n',
      stderr: '',
      exitCode: 0,
    });
    expect(existsSync(stateDbPath(join(dir, 'state')))).toBe(false);
  });

  it('lifts a suspension once, recording one "reactivated" notification for the contacts', async () => {
    const config = loadConfig(file, {});
    const store = openTestStore(config.stateDir, clock);
    addCompanies(store, [A, B]);
    const ctx = { config, store, notify: () => {}, logger: createLogger({ level: 'silent' }) };
    countCall(ctx, config.companies[0]!, NOW);
    countCall(ctx, config.companies[0]!, NOW);
    countCall(ctx, config.companies[1]!, NOW);
    expect(store.suspensionOf(A)).not.toBeNull();

    clock.set(NOW + 60_000);
    const first = await reactivate(A);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^reactivated: Alfa \(\d+\) had been suspended since 2026-11-20 12:00 \(monthly limit of 2 SEFAZ calls reached in the period 2026-10-21 to 2026-11-20\)\nusage in the period 2026-10-21 to 2026-11-20: 2 of 2 SEFAZ calls\n/);
    expect(store.suspensionOf(A)).toBeNull();
    const second = await reactivate(A);
    expect(second.stdout).toBe(`not suspended: Alfa (${A}) was not suspended; nothing changed\nusage in the period 2026-10-21 to 2026-11-20: 2 of 2 SEFAZ calls\n`);
    expect((await reactivate(B)).stdout).toBe(`not suspended: Beta (${B}) was not suspended; nothing changed\nusage in the period 2026-10-21 to 2026-11-20: 1 SEFAZ call (no limit)\n`);

    const deliveries = store.dueDeliveries(clock.now(), 10);
    expect(deliveries).toEqual([
      expect.objectContaining({
        kind: 'reactivated',
        cnpj: A,
        channel: 'command:finance',
        createdAt: NOW + 60_000,
        payload: expect.objectContaining({ kind: 'reactivated', by: 'operator', suspendedPeriodStart: '2026-10-21', message: expect.stringContaining('was reactivated by an operator') }),
      }),
    ]);
    store.close();
  });

  it('registers `reactivate` with --config and a required --cnpj', () => {
    const program = new Command();
    registerReactivateCommand(program);
    const command = program.commands.find((c) => c.name() === 'reactivate');
    expect(command?.options.map((o) => [o.long, o.mandatory])).toEqual([['--config', false], ['--cnpj', true]]);
  });
});
