/**
 * DESIGN.md §4, one test each, through the daemon against the simulator on a
 * discrete-event clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { LeaseKeeper } from '../../src/daemon/leases.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SyncHarness, stopAfterEach } from '../support/syncHarness.js';

const HOUR = 3_600_000;
const MARGIN = 120_000;
const A = '112223330001' + cnpjCheckDigits('112223330001');

const track = stopAfterEach();

describe('1. the cursor moves only in the transaction that stores the batch', () => {
  it('a batch whose commit fails leaves cursor and documents as they were, and is fetched again', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 80 }]));
    await h.start();
    const store = h.store;
    const commit = store.commitDistBatch.bind(store);
    let failures = 1;
    store.commitDistBatch = (cnpj, batch) => {
      if (failures-- > 0) throw new Error('disk full');
      return commit(cnpj, batch);
    };
    await h.daemon.runDue();
    expect(store.countDocuments(A)).toBe(0);
    expect(store.getCompany(A)!.ultNSU).toBeNull();
    expect(h.log.lines.some((l) => String(l.msg).includes('unexpected error syncing'))).toBe(true);
    // the answer never reached the database, so after the restart of that company's work
    // it counts as lost after sending: nothing was seen yet, it may have been a 137
    expect(store.getCompany(A)!.state.distInFlight).not.toBeNull();
    await h.runUntil(clock.now() + 2 * HOUR);
    expect(store.countDocuments(A)).toBe(80);
    expect(store.getCompany(A)!.ultNSU).toBe('000000000000080');
    expect(h.sim.violations()).toEqual([]);
  });
});

describe('2. every wait and block is persisted and honoured after a restart', () => {
  it('a 656 block counted from our clock after the answer, plus the margin, survives a restart', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 10 }]));
    h.sim.scriptAnswer(A, { cStat: '656' });
    await h.start();
    await h.daemon.runDue();
    const answeredAt = clock.now();
    const record = h.store.getCompany(A)!;
    expect(record.blockedUntil).toBe(answeredAt + HOUR + MARGIN);
    expect(record.state.anotherSystem).not.toBeNull();

    await h.daemon.stop();
    h.runtime.close();
    await h.start();
    await h.runUntil(answeredAt + HOUR + MARGIN - 1);
    expect(h.sim.calls().filter((c) => c.cnpj === A)).toHaveLength(1);
    await h.runUntil(answeredAt + HOUR + MARGIN);
    expect(h.store.countDocuments(A)).toBe(10);
    expect(h.sim.violations()).toEqual([]);
  });
});

describe('3. at most one process works a CNPJ', () => {
  it('a second daemon on the same state refuses the CNPJ the first holds, and says who holds it', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 10 }]));
    await h.start();
    const second = new Daemon(h.runtime.ctx, {
      maxInFlight: 4,
      leases: new LeaseKeeper(h.store, h.log.logger, { host: 'other-host', pid: 1, id: 'second' }),
      timers: 'manual',
    });
    second.start();
    await second.runDue();
    expect(h.sim.calls()).toHaveLength(0);
    expect(h.log.lines.some((l) => String(l.msg).includes(`CNPJ ${A} is being worked by another dfe-sync process`))).toBe(true);
    await h.daemon.runDue();
    expect(h.sim.calls()).toHaveLength(1);
    await second.stop();
  });
});

describe('4. an answer that cannot be parsed does not move the cursor', () => {
  it('a malformed body is an answer lost after sending: cursor kept, then the same ultNSU retried', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 200 }]));
    h.sim.injectFault({ cnpj: A, fault: { kind: 'malformed' } });
    await h.start();
    await h.daemon.runDue();
    const after = h.store.getCompany(A)!;
    expect(after.ultNSU).toBeNull();
    expect(after.lastCall?.error).toBe('UNPARSABLE_RESPONSE');
    expect(h.store.countDocuments(A)).toBe(0);
    // no answer seen yet for this CNPJ: the lost one may have been a 137, so it waits the hour
    expect(after.nextDistAt).toBe(clock.now() + HOUR + MARGIN);
    await h.runUntil(clock.now() + 2 * HOUR);
    expect(h.store.countDocuments(A)).toBe(200);
    expect(h.sim.violations()).toEqual([]);
  });
});

describe('5. secrets never reach a log line or an error message', () => {
  it('neither the pfx password nor key material appears in any log line, a wrong password included', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, documents: 60 }]));
    await h.start();
    await h.daemon.runDue();
    const password = readFileSync(join(h.tlsDir, `${A}.pass`), 'utf8');
    // now the password file is wrong: the new version is rejected (the old certificate is kept), and no message names a password
    const wrong = 'not-the-password-4711';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(h.tlsDir, `${A}.pass`), wrong);
    const { utimesSync } = await import('node:fs');
    utimesSync(join(h.tlsDir, `${A}.pfx`), new Date(), new Date(Date.now() + 5000)); // a "renewed" file is read again
    await h.runUntil(clock.now() + 2 * HOUR);
    const text = JSON.stringify(h.log.lines);
    expect(text).toContain('CERT_BAD_PASSWORD');
    for (const secret of [password, wrong, 'PRIVATE KEY']) expect(text).not.toContain(secret);
    expect(JSON.stringify(h.store.getCompany(A))).not.toContain(wrong);
  });
});
