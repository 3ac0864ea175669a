import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLimits } from '../../src/cli/commands/limits.js';
import { ManualClock } from '../../src/clock.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { cnpj, outcome, tempDir } from '../status/support.js';
import { writeLimitConfig } from './support.js';

const A = cnpj('110000000001');
let dir: string;
let cleanup: () => void;

beforeAll(() => ({ dir, cleanup } = tempDir('limits-config')));
afterAll(() => cleanup());

describe('monthlyLimit in the config', () => {
  it('takes defaults: notify on, suspend off, periods from the 21st', () => {
    const config = loadConfig(writeLimitConfig(dir, [{ cnpj: A, monthlyLimit: { calls: 5000 } }]), {});
    expect(config.companies[0]!.monthlyLimit).toEqual({ calls: 5000, notify: true, suspend: false, reactivateAtPeriodStart: false, periodStartDay: 21 });
  });

  it('is null for a company without one', () => {
    expect(loadConfig(writeLimitConfig(dir, [{ cnpj: A }]), {}).companies[0]!.monthlyLimit).toBeNull();
  });

  it('rejects reactivateAtPeriodStart without suspend at load, saying why and what to do', () => {
    const file = writeLimitConfig(dir, [{ cnpj: A, monthlyLimit: { calls: 100, notify: true, suspend: false, reactivateAtPeriodStart: true } }]);
    let error: unknown;
    try {
      loadConfig(file, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain('companies[0].monthlyLimit.reactivateAtPeriodStart');
    expect((error as Error).message).toContain(
      'reactivateAtPeriodStart only means something with suspend: true (nothing is suspended to reactivate): set suspend: true or remove it',
    );
  });

  it('makes limits (and every command) exit 2 with that message', async () => {
    const file = writeLimitConfig(dir, [{ cnpj: A, monthlyLimit: { calls: 100, reactivateAtPeriodStart: true } }]);
    const r = await outcome(() => runLimits({ config: file }, { env: {}, clock: new ManualClock() }));
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^dfe-sync: .*reactivateAtPeriodStart only means something with suspend: true/m);
  });

  it.each([
    [{ calls: 0 }, 'calls'],
    [{ calls: 10, periodStartDay: 29 }, 'periodStartDay'],
    [{ calls: 10, periodStartDay: 0 }, 'periodStartDay'],
  ])('rejects %o', (monthlyLimit, key) => {
    expect(() => loadConfig(writeLimitConfig(dir, [{ cnpj: A, monthlyLimit }]), {})).toThrow(`monthlyLimit.${key}`);
  });
});

it('the example config carries a working monthlyLimit', () => {
  const config = loadConfig(new URL('../../schemas/config.example.yaml', import.meta.url).pathname, {});
  expect(config.companies.find((c) => c.monthlyLimit !== null)?.monthlyLimit).toEqual({
    calls: 20000, periodStartDay: 21, notify: true, suspend: true, reactivateAtPeriodStart: true,
  });
});
