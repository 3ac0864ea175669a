import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { contactOfChannel, storeNotify } from '../../src/notify/notify.js';
import { DEFAULT_RETRY_POLICY, nextAttemptAt } from '../../src/notify/retry.js';
import { DAY, HOUR, NOW, SECOND, cnpj, configFor, deliveryRows, memoryLogger, openTestStore, tempDir } from './support.js';

const ACME = cnpj('111222333000');
const BETA = cnpj('444555666000');

function config(dir: string) {
  const hook = (name: string, role: string) => [`  - name: ${name}`, `    roles: [${role}]`, `    command: ["/bin/${name}"]`];
  return configFor(
    dir,
    [
      { cnpj: ACME, name: 'Acme', extra: ['    contacts:', ...hook('ops', 'financial').map((l) => `  ${l}`)].join('\n') },
      { cnpj: BETA, name: 'Beta' },
    ],
    ['contacts:', ...hook('ops', 'technical'), ...hook('tech', 'technical')].join('\n'),
  );
}

describe('storeNotify', () => {
  it('sends a kind to the roles it is meant for even when a producer names fewer', () => {
    const { dir, cleanup } = tempDir('kinds');
    try {
      const cfg = config(dir);
      const clock = new ManualClock(NOW);
      const store = openTestStore(cfg, clock);
      const notify = storeNotify(() => cfg, store, () => clock.now(), memoryLogger().logger);
      // suspended is for financial and technical: Beta's technical contacts get it with no role named
      notify({ kind: 'suspended', cnpj: BETA, dedupeKey: 's', roles: [], message: 'suspended' });
      store.close();
      expect(deliveryRows(cfg).map((d) => d.channel)).toEqual(['command:ops', 'command:tech']);
    } finally {
      cleanup();
    }
  });
});

describe('contactOfChannel', () => {
  it("prefers the company's contact to a global one of the same name, and finds nothing removed", () => {
    const { dir, cleanup } = tempDir('channel');
    try {
      const cfg = config(dir);
      expect(contactOfChannel(cfg, ACME, 'command:ops')?.contact.roles).toEqual(['financial']);
      expect(contactOfChannel(cfg, BETA, 'command:ops')?.contact.roles).toEqual(['technical']);
      expect(contactOfChannel(cfg, null, 'command:tech')?.type).toBe('command');
      expect(contactOfChannel(cfg, ACME, 'webhook:ops')).toBeNull();
      expect(contactOfChannel(cfg, ACME, 'command:gone')).toBeNull();
      expect(contactOfChannel(cfg, ACME, 'email:ops')).toBeNull();
    } finally {
      cleanup();
    }
  });
});

describe('nextAttemptAt', () => {
  const p = DEFAULT_RETRY_POLICY;
  it('doubles from the base, capped, and gives up past the deadline', () => {
    expect(nextAttemptAt(p, 1, NOW, NOW)).toBe(NOW + 30 * SECOND);
    expect(nextAttemptAt(p, 3, NOW, NOW)).toBe(NOW + 120 * SECOND);
    expect(nextAttemptAt(p, 40, NOW, NOW)).toBe(NOW + HOUR);
    expect(nextAttemptAt(p, 40, NOW, NOW + DAY - HOUR)).toBe(NOW + DAY);
    expect(nextAttemptAt(p, 40, NOW, NOW + DAY - HOUR + 1)).toBeNull();
  });
  it('waits as long as a Retry-After asks, but never more than the cap', () => {
    expect(nextAttemptAt(p, 1, NOW, NOW, 10 * 60 * SECOND)).toBe(NOW + 10 * 60 * SECOND);
    expect(nextAttemptAt(p, 1, NOW, NOW, 5 * DAY)).toBe(NOW + HOUR);
    expect(nextAttemptAt(p, 4, NOW, NOW, SECOND)).toBe(NOW + 240 * SECOND);
  });
});
