/** A config with monthly limits, a state database in a temp dir and a recording Notify, for the limit tests. */
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { LimitContext } from '../../src/limits/gate.js';
import { createLogger } from '../../src/log/logger.js';
import type { NotificationEvent } from '../../src/notify/notify.js';
import type { CompanyState } from '../../src/rules/state.js';
import type { Store } from '../../src/store/index.js';
import { addCompanies, openTestStore, writeConfig } from '../status/support.js';

export interface LimitCompany {
  cnpj: string;
  name?: string;
  monthlyLimit?: Record<string, unknown>;
}

/** config.yaml in `dir` (stateDir `state`, São Paulo time); each company with a financial contact. */
export function writeLimitConfig(dir: string, companies: LimitCompany[]): string {
  return writeConfig(dir, companies.map((c) => ({
    cnpj: c.cnpj,
    ...(c.name === undefined ? {} : { name: c.name }),
    more: {
      contacts: [{ name: 'finance', roles: ['financial'], command: ['true'] }],
      ...(c.monthlyLimit === undefined ? {} : { monthlyLimit: c.monthlyLimit }),
    },
  })));
}

export interface LimitHarness {
  config: Config;
  store: Store<CompanyState>;
  ctx: LimitContext;
  events: NotificationEvent[];
  logs: Record<string, unknown>[];
}

/** The config loaded, its companies in a fresh state database, a Notify that records. */
export function limitHarness(dir: string, companies: LimitCompany[], clock: Clock): LimitHarness {
  const config = loadConfig(writeLimitConfig(dir, companies), {});
  const store = openTestStore(config.stateDir, clock);
  addCompanies(store, companies.map((c) => c.cnpj));
  const events: NotificationEvent[] = [];
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level: 'info', destination, clock });
  return { config, store, events, logs, ctx: { config, store, logger, notify: (e) => void events.push(e) } };
}
