import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Config } from '../../src/config/index.js';
import { DeliveryWorker } from '../../src/notify/deliver.js';
import { storeNotify, type NotificationEvent } from '../../src/notify/notify.js';
import { DEFAULT_RETRY_POLICY } from '../../src/notify/retry.js';
import type { CompanyState } from '../../src/rules/state.js';
import type { Store } from '../../src/store/index.js';
import { DAY, HOUR, NOW, Receiver, SECOND, cnpj, configFor, deliveryRows, memoryLogger, openTestStore, tempDir } from './support.js';

const ACME = cnpj('111222333000');
const FILE_SECRET = 'file-secret-7f3a9c2e1b';
const ENV_SECRET = 'env-secret-5d8e4f6a0c';
const URL_TOKEN = 'T0KEN-in-the-path-91ab';

interface Setup {
  config: Config;
  store: Store<CompanyState>;
  clock: ManualClock;
  worker: DeliveryWorker;
  receiver: Receiver;
  log: ReturnType<typeof memoryLogger>;
  notify: (e?: Partial<NotificationEvent>) => void;
  dir: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Contacts: "ops" (technical, signed by a file), "boss" (legal, signed by a variable), "money" (financial, unsigned). */
async function setup(options: { contacts?: (url: (p: string) => string, dir: string) => string; webhookTimeoutMs?: number; stopGraceMs?: number } = {}): Promise<Setup> {
  const { dir, cleanup } = tempDir('deliver');
  cleanups.push(cleanup);
  const clock = new ManualClock(NOW);
  const receiver = new Receiver(clock);
  await receiver.start();
  cleanups.push(() => receiver.stop());
  writeFileSync(join(dir, 'ops.secret'), `${FILE_SECRET}\n`);
  const contacts =
    options.contacts?.((p) => receiver.url(p), dir) ??
    [
      'contacts:',
      '  - name: ops',
      '    roles: [technical]',
      `    webhook: { url: "${receiver.url(`/ops/${URL_TOKEN}`)}", secretFile: ops.secret }`,
      '  - name: boss',
      '    roles: [legal]',
      `    webhook: { url: "${receiver.url('/boss')}", secretEnv: BOSS_SECRET }`,
      '  - name: money',
      '    roles: [financial]',
      `    webhook: { url: "${receiver.url('/money')}" }`,
    ].join('\n');
  const config = configFor(dir, [{ cnpj: ACME, name: 'Acme Ltda' }], contacts);
  const store = openTestStore(config, clock);
  cleanups.push(() => store.close());
  const log = memoryLogger();
  let current = config;
  const worker = new DeliveryWorker({
    config: () => current,
    store,
    clock,
    logger: log.logger,
    env: { BOSS_SECRET: ENV_SECRET },
    ...(options.webhookTimeoutMs === undefined ? {} : { webhookTimeoutMs: options.webhookTimeoutMs }),
    ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
  });
  cleanups.push(() => worker.stop());
  const record = storeNotify(() => current, store, () => clock.now(), log.logger);
  const notify = (e: Partial<NotificationEvent> = {}) =>
    record({ kind: 'consumo-indevido', cnpj: ACME, dedupeKey: `656:${ACME}:1`, roles: ['technical'], message: 'a 656 although every rule was kept', ...e });
  return {
    get config() {
      return current;
    },
    set config(c: Config) {
      current = c;
    },
    store, clock, worker, receiver, log, notify, dir,
  } as Setup;
}

function verifies(body: string, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const got = Buffer.from(header.slice('sha256='.length));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

describe('webhook delivery', () => {
  it('delivers each event once per channel, and a second notify with the same key delivers nothing', async () => {
    const s = await setup();
    s.notify();
    expect(await s.worker.runDue()).toBe(2);
    // technical → ops; legal gets everything → boss; financial is not concerned
    expect(s.receiver.received.map((r) => r.path).sort()).toEqual(['/boss', `/ops/${URL_TOKEN}`]);

    s.notify({ message: 'the same key again' });
    s.clock.advance(HOUR);
    expect(await s.worker.runDue()).toBe(0);
    expect(await s.worker.runDue()).toBe(0);
    expect(s.receiver.received).toHaveLength(2);

    const [ops] = s.receiver.on(`/ops/${URL_TOKEN}`);
    const [boss] = s.receiver.on('/boss');
    expect(ops!.headers['content-type']).toBe('application/json');
    const event = JSON.parse(ops!.body) as Record<string, unknown>;
    expect(event).toEqual({
      id: expect.any(Number), kind: 'consumo-indevido', cnpj: ACME, companyName: 'Acme Ltda',
      message: 'a 656 although every rule was kept', at: new Date(NOW).toISOString(),
    });
    expect(Object.keys(event).slice(0, 6)).toEqual(['id', 'kind', 'cnpj', 'companyName', 'message', 'at']);
    expect(boss!.body).toBe(ops!.body);
    expect(ops!.headers['x-dfesync-id']).toBe(String(event.id));
    expect(ops!.headers['x-dfesync-event']).toBe('consumo-indevido');
    expect(deliveryRows(s.config).map((d) => d.state)).toEqual(['done', 'done']);
  });

  it('routes by role: a financial notice reaches money and boss, not ops', async () => {
    const s = await setup();
    s.notify({ kind: 'limit-reached', dedupeKey: 'limit:1', roles: ['financial'], message: 'limit reached' });
    expect(await s.worker.runDue()).toBe(2);
    expect(s.receiver.received.map((r) => r.path).sort()).toEqual(['/boss', '/money']);
  });

  it('signs the exact body with each contact\'s secret, which the receiver can verify; unsigned without one', async () => {
    const s = await setup();
    s.notify({ kind: 'limit-reached', dedupeKey: 'limit:1', roles: ['financial', 'technical'], message: 'acentuação: São Paulo €' });
    await s.worker.runDue();
    const ops = s.receiver.on(`/ops/${URL_TOKEN}`)[0]!;
    const boss = s.receiver.on('/boss')[0]!;
    const money = s.receiver.on('/money')[0]!;
    expect(verifies(ops.body, ops.headers['x-dfesync-signature'], FILE_SECRET)).toBe(true);
    expect(verifies(boss.body, boss.headers['x-dfesync-signature'], ENV_SECRET)).toBe(true);
    // the trailing newline of the file is not part of the secret, and a wrong secret does not verify
    expect(verifies(ops.body, ops.headers['x-dfesync-signature'], `${FILE_SECRET}\n`)).toBe(false);
    expect(verifies(ops.body, ops.headers['x-dfesync-signature'], ENV_SECRET)).toBe(false);
    expect(verifies(`${ops.body} `, ops.headers['x-dfesync-signature'], FILE_SECRET)).toBe(false);
    expect(money.headers['x-dfesync-signature']).toBeUndefined();
  });

  it('reads the secret at delivery time: a rotated secret signs the next notice', async () => {
    const s = await setup();
    s.notify({ dedupeKey: 'a' });
    await s.worker.runDue();
    writeFileSync(join(s.dir, 'ops.secret'), 'rotated-secret');
    s.notify({ dedupeKey: 'b' });
    await s.worker.runDue();
    const [first, second] = s.receiver.on(`/ops/${URL_TOKEN}`);
    expect(verifies(first!.body, first!.headers['x-dfesync-signature'], FILE_SECRET)).toBe(true);
    expect(verifies(second!.body, second!.headers['x-dfesync-signature'], 'rotated-secret')).toBe(true);
  });

  it('never puts a secret (or the URL\'s path) in the payload, the logs or the database', async () => {
    const s = await setup();
    s.receiver.respond(`/ops/${URL_TOKEN}`, 500, 200);
    s.notify();
    await s.worker.runDue();
    s.clock.advance(DEFAULT_RETRY_POLICY.baseMs);
    await s.worker.runDue();
    expect(s.receiver.received).toHaveLength(3);
    for (const r of s.receiver.received) {
      expect(r.body).not.toContain(FILE_SECRET);
      expect(r.body).not.toContain(ENV_SECRET);
    }
    expect(s.log.raw.length).toBeGreaterThan(2);
    const logs = s.log.raw.join('\n');
    for (const secret of [FILE_SECRET, ENV_SECRET, URL_TOKEN]) expect(logs).not.toContain(secret);
    expect(logs).toContain('not delivered to webhook:ops'); // the failure was logged, by host only
    s.store.close();
    const stateDir = s.config.stateDir;
    const db = readdirSync(stateDir).map((f) => readFileSync(join(stateDir, f)).toString('latin1')).join('');
    expect(db).toContain('a 656 although every rule was kept');
    expect(db).not.toContain(FILE_SECRET);
    expect(db).not.toContain(ENV_SECRET);
  });

  it('retries a 500 with growing waits, then succeeds, with the same id and body each time', async () => {
    const s = await setup();
    s.receiver.respond(`/ops/${URL_TOKEN}`, 500, 503, 200);
    s.notify();
    expect(await s.worker.runDue()).toBe(1); // boss took it at once
    expect(s.receiver.on(`/ops/${URL_TOKEN}`)).toHaveLength(1);

    expect(await s.worker.runDue()).toBe(0); // not due yet
    s.clock.advance(DEFAULT_RETRY_POLICY.baseMs - 1);
    expect(await s.worker.runDue()).toBe(0);
    expect(s.receiver.on(`/ops/${URL_TOKEN}`)).toHaveLength(1);
    s.clock.advance(1);
    expect(await s.worker.runDue()).toBe(0); // second attempt: 503
    expect(s.receiver.on(`/ops/${URL_TOKEN}`)).toHaveLength(2);

    s.clock.advance(2 * DEFAULT_RETRY_POLICY.baseMs - 1); // the wait doubled
    expect(await s.worker.runDue()).toBe(0);
    expect(s.receiver.on(`/ops/${URL_TOKEN}`)).toHaveLength(2);
    s.clock.advance(1);
    expect(await s.worker.runDue()).toBe(1);
    const attempts = s.receiver.on(`/ops/${URL_TOKEN}`);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    expect(deliveryRows(s.config).find((d) => d.channel === 'webhook:ops')).toMatchObject({ state: 'done', attempts: 3, lastError: null });
    // the boss got it once, and nothing more is due
    expect(s.receiver.on('/boss')).toHaveLength(1);
    s.clock.advance(DAY);
    expect(await s.worker.runDue()).toBe(0);
    expect(s.store.nextDeliveryAt()).toBeNull();
    const warn = s.log.lines.filter((l) => l.level === 'warn').map((l) => l.msg as string);
    expect(warn[0]).toMatch(/^notification consumo-indevido not delivered to webhook:ops: webhook 127\.0\.0\.1:\d+ answered HTTP 500: error 500; trying again at /);
  });

  it('honours Retry-After on a 429', async () => {
    const s = await setup();
    s.receiver.respond('/boss', { status: 429, headers: { 'retry-after': '300' } });
    s.notify();
    await s.worker.runDue();
    expect(deliveryRows(s.config).find((d) => d.channel === 'webhook:boss')).toMatchObject({ state: 'pending', nextAttemptAt: NOW + 300 * SECOND });
  });

  it.each([
    [404, /refused the notification with HTTP 404: error 404: not retried/],
    [401, /refused the notification with HTTP 401/],
    [302, /HTTP 302 \(a redirect\): configure the URL it redirects to/],
  ])('fails at once on HTTP %i, and never tries again', async (status, error) => {
    const s = await setup();
    s.receiver.respond(`/ops/${URL_TOKEN}`, status);
    s.notify();
    expect(await s.worker.runDue()).toBe(1);
    s.clock.advance(2 * DAY);
    expect(await s.worker.runDue()).toBe(0);
    expect(s.receiver.on(`/ops/${URL_TOKEN}`)).toHaveLength(1);
    const ops = deliveryRows(s.config).find((d) => d.channel === 'webhook:ops')!;
    expect(ops).toMatchObject({ state: 'failed', attempts: 1 });
    expect(ops.lastError).toMatch(error);
    const failure = s.log.lines.find((l) => l.level === 'error');
    expect(failure?.msg).toMatch(/NOT delivered to webhook:ops \(not retried\)/);
  });

  it('gives up after a day of failures, logging it, with the waits capped at an hour', async () => {
    const s = await setup();
    s.receiver.respond(`/ops/${URL_TOKEN}`, ...Array<number>(200).fill(503));
    s.notify();
    await s.worker.runDue();
    for (let next = s.store.nextDeliveryAt(); next !== null; next = s.store.nextDeliveryAt()) {
      s.clock.set(next);
      await s.worker.runDue();
    }
    const times = s.receiver.on(`/ops/${URL_TOKEN}`).map((r) => r.at);
    const waits = times.slice(1).map((t, i) => t - times[i]!);
    expect(waits.slice(0, 4)).toEqual([30, 60, 120, 240].map((x) => x * SECOND));
    expect(Math.max(...waits)).toBe(HOUR);
    expect(times.at(-1)! - NOW).toBeLessThanOrEqual(DAY);
    expect(times.at(-1)! - NOW).toBeGreaterThan(DAY - HOUR);
    expect(deliveryRows(s.config).find((d) => d.channel === 'webhook:ops')).toMatchObject({ state: 'failed', attempts: times.length });
    const errors = s.log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(new RegExp(`consumo-indevido for ${ACME} NOT delivered to webhook:ops \\(giving up after a day of attempts\\): webhook 127\\.0\\.0\\.1:\\d+ answered HTTP 503`));
  });

  it('retries when the receiver is unreachable or does not answer in time', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const s = await setup({
      webhookTimeoutMs: 100,
      contacts: (url) =>
        [
          'contacts:',
          '  - name: down',
          '    roles: [technical]',
          `    webhook: { url: "http://127.0.0.1:${closedPort}/x" }`,
          '  - name: slow',
          '    roles: [technical]',
          `    webhook: { url: "${url('/slow')}" }`,
        ].join('\n'),
    });
    s.receiver.respond('/slow', 'hang');
    s.notify();
    expect(await s.worker.runDue()).toBe(0);
    const rows = deliveryRows(s.config);
    expect(rows.map((r) => [r.channel, r.state])).toEqual([['webhook:down', 'pending'], ['webhook:slow', 'pending']]);
    expect(rows[0]!.lastError).toMatch(/^webhook 127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\)$/);
    expect(rows[1]!.lastError).toBe('webhook ' + new URL(s.receiver.url('/')).host + ' did not answer within 0.1 s');
    // the receiver answers the retry
    s.clock.advance(DEFAULT_RETRY_POLICY.baseMs);
    expect(await s.worker.runDue()).toBe(1);
  });

  it('fails a delivery whose contact was removed from the configuration, without calling anyone', async () => {
    const s = await setup();
    s.notify();
    s.config = configFor(s.dir, [{ cnpj: ACME, name: 'Acme Ltda' }], ['contacts:', '  - name: ops', '    roles: [technical]', `    webhook: { url: "${s.receiver.url(`/ops/${URL_TOKEN}`)}" }`].join('\n'));
    expect(await s.worker.runDue()).toBe(1);
    expect(s.receiver.received.map((r) => r.path)).toEqual([`/ops/${URL_TOKEN}`]);
    const boss = deliveryRows(s.config).find((d) => d.channel === 'webhook:boss')!;
    expect(boss).toMatchObject({ state: 'failed', attempts: 1 });
    expect(boss.lastError).toBe('contact removed: webhook:boss is no longer in the configuration');
  });

  it('retries while a secret is unavailable, and says which one without its value', async () => {
    const s = await setup();
    writeFileSync(join(s.dir, 'ops.secret'), '');
    const worker = new DeliveryWorker({ config: () => s.config, store: s.store, clock: s.clock, logger: s.log.logger, env: {} });
    s.notify();
    expect(await worker.runDue()).toBe(0);
    const rows = deliveryRows(s.config);
    expect(rows.map((r) => r.lastError)).toEqual([`webhook secret ${join(s.dir, 'ops.secret')} is empty`, "webhook secret variable BOSS_SECRET is not set in the daemon's environment"]);
    expect(rows.map((r) => r.state)).toEqual(['pending', 'pending']);
    expect(s.receiver.received).toHaveLength(0);
  });

  it('runs on its own once started, and a stop waits for the attempt in flight', async () => {
    const s = await setup();
    s.worker.start();
    s.notify();
    s.worker.wake();
    await s.receiver.waitFor(2);
    await s.worker.stop();
    expect(s.receiver.received.map((r) => r.path).sort()).toEqual(['/boss', `/ops/${URL_TOKEN}`]);
    const rows = deliveryRows(s.config);
    expect(rows.map((r) => r.state)).toEqual(['done', 'done']);
  });

  it('interrupts an attempt that outlasts the stop grace period, and retries it after the restart', async () => {
    const s = await setup({ stopGraceMs: 50 });
    s.receiver.respond('/boss', 'hang');
    s.worker.start();
    s.notify();
    s.worker.wake();
    await s.receiver.waitFor(2);
    await s.worker.stop();
    const boss = deliveryRows(s.config).find((d) => d.channel === 'webhook:boss')!;
    expect(boss).toMatchObject({ state: 'pending', attempts: 1 });
    expect(boss.lastError).toMatch(/interrupted, dfe-sync is stopping/);
    s.clock.advance(DEFAULT_RETRY_POLICY.baseMs);
    expect(await s.worker.runDue()).toBe(1);
    expect(s.receiver.on('/boss')).toHaveLength(2);
  });
});
