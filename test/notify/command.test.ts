import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { DeliveryWorker } from '../../src/notify/deliver.js';
import { storeNotify } from '../../src/notify/notify.js';
import { DEFAULT_RETRY_POLICY } from '../../src/notify/retry.js';
import { NOW, cnpj, configFor, deliveryRows, memoryLogger, openTestStore, tempDir } from './support.js';

const ACME = cnpj('111222333000');

/**
 * A hook that writes what it was given to `<out>.json` (stdin, arguments, environment),
 * and fails while `<out>.fail` holds a positive count, decrementing it.
 */
const HOOK = `
const fs = require('node:fs');
const out = process.argv[2];
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  if (process.argv[3] === 'hang') { setTimeout(() => {}, 60000); return; }
  const failFile = out + '.fail';
  const left = fs.existsSync(failFile) ? Number(fs.readFileSync(failFile, 'utf8')) : 0;
  if (left > 0) {
    fs.writeFileSync(failFile, String(left - 1));
    process.stderr.write('receiver\\ndown for now\\n');
    process.exit(3);
  }
  fs.writeFileSync(out + '.json', JSON.stringify({ input, argv: process.argv.slice(2), env: process.env }));
});
`;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(commandFor: (dir: string, script: string) => string[], commandTimeoutMs?: number) {
  const { dir, cleanup } = tempDir('command');
  cleanups.push(cleanup);
  const script = join(dir, 'hook.cjs');
  writeFileSync(script, HOOK);
  const command = commandFor(dir, script);
  const config = configFor(dir, [{ cnpj: ACME, name: 'Acme Ltda' }], ['contacts:', '  - name: pager', '    roles: [technical]', `    command: ${JSON.stringify(command)}`].join('\n'));
  const clock = new ManualClock(NOW);
  const store = openTestStore(config, clock);
  cleanups.push(() => store.close());
  const log = memoryLogger();
  const worker = new DeliveryWorker({ config: () => config, store, clock, logger: log.logger, ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }) });
  const notify = storeNotify(() => config, store, () => clock.now(), log.logger);
  notify({ kind: 'certificate-expired', cnpj: ACME, dedupeKey: 'cert-expired:x', roles: ['technical'], message: 'the certificate expired', data: { notAfter: '2026-11-19T00:00:00.000Z' } });
  return { dir, config, clock, worker, log, out: join(dir, 'out') };
}

describe('command hook', () => {
  it('runs the program without a shell, the event as JSON on stdin, and a small environment', async () => {
    process.env.DFE_SYNC_TEST_CERT_PASSWORD = 'daemon-env-secret';
    cleanups.push(() => delete process.env.DFE_SYNC_TEST_CERT_PASSWORD);
    const s = setup((dir, script) => [process.execPath, script, join(dir, 'out'), '$HOME; echo not a shell']);
    expect(await s.worker.runDue()).toBe(1);
    const got = JSON.parse(readFileSync(`${s.out}.json`, 'utf8')) as { input: string; argv: string[]; env: Record<string, string> };
    expect(JSON.parse(got.input)).toEqual({
      id: expect.any(Number), kind: 'certificate-expired', cnpj: ACME, companyName: 'Acme Ltda', message: 'the certificate expired',
      at: new Date(NOW).toISOString(), notAfter: '2026-11-19T00:00:00.000Z',
    });
    expect(got.argv).toEqual([s.out, '$HOME; echo not a shell']);
    expect(got.env).toMatchObject({ DFESYNC_EVENT_KIND: 'certificate-expired', DFESYNC_CNPJ: ACME });
    expect(got.env.DFE_SYNC_TEST_CERT_PASSWORD).toBeUndefined();
    expect(deliveryRows(s.config)).toMatchObject([{ channel: 'command:pager', state: 'done', attempts: 1 }]);
    expect(s.log.lines.some((l) => l.msg === `notification certificate-expired delivered to pager (command ${process.execPath})`)).toBe(true);
  });

  it('treats a non-zero exit as a failure, retried like a webhook, with the end of its stderr', async () => {
    const s = setup((dir, script) => [process.execPath, script, join(dir, 'out')]);
    writeFileSync(`${s.out}.fail`, '2');
    expect(await s.worker.runDue()).toBe(0);
    const [row] = deliveryRows(s.config);
    expect(row).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: NOW + DEFAULT_RETRY_POLICY.baseMs });
    expect(row!.lastError).toBe(`command hook ${process.execPath.split('/').at(-1)} exited with status 3: receiver down for now`);
    s.clock.advance(DEFAULT_RETRY_POLICY.baseMs);
    expect(await s.worker.runDue()).toBe(0);
    s.clock.advance(2 * DEFAULT_RETRY_POLICY.baseMs);
    expect(await s.worker.runDue()).toBe(1);
    expect(existsSync(`${s.out}.json`)).toBe(true);
    expect(deliveryRows(s.config)).toMatchObject([{ state: 'done', attempts: 3 }]);
  });

  it('kills a program that outlasts its timeout, and retries', async () => {
    const s = setup((dir, script) => [process.execPath, script, join(dir, 'out'), 'hang'], 300);
    expect(await s.worker.runDue()).toBe(0);
    const [row] = deliveryRows(s.config);
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row!.lastError).toMatch(/did not finish within 0\.3 s and was killed$/);
  });

  it('retries a program that cannot be started, naming it', async () => {
    const s = setup((dir) => [join(dir, 'no-such-program')]);
    expect(await s.worker.runDue()).toBe(0);
    const [row] = deliveryRows(s.config);
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row!.lastError).toBe(`command hook ${join(s.dir, 'no-such-program')} could not start (ENOENT)`);
  });
});
