import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openStore, processIsAlive, type LeaseHolder } from '../../src/store/index.js';
import { useTempStore, type TestState } from './support.js';

const A = '12345678000195';
const B = '11222333000181';
const TTL = 60_000;
const here = 'host-a';
const db = useTempStore<TestState>();

/** The pid of a process that ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('leases', () => {
  it('refuses a second holder and names the first; the first renews and releases', () => {
    const first: LeaseHolder = { host: here, pid: process.pid, id: 'first' };
    const second: LeaseHolder = { host: 'host-b', pid: 4242, id: 'second' };
    expect(db.store.acquireLeases([A, B], first, TTL)).toEqual({ acquired: [A, B], refused: [] });
    const refused = db.store.acquireLeases([A], second, TTL);
    expect(refused.acquired).toEqual([]);
    expect(refused.refused).toEqual([
      { cnpj: A, holder: { cnpj: A, id: 'first', host: here, pid: process.pid, acquiredAt: db.clock.now(), renewedAt: db.clock.now(), expiresAt: db.clock.now() + TTL } },
    ]);
    db.clock.advance(TTL - 1);
    expect(db.store.renewLeases([A, B], first, TTL)).toEqual({ renewed: [A, B], lost: [] });
    db.clock.advance(TTL - 1);
    expect(db.store.acquireLeases([A], second, TTL).acquired).toEqual([]);
    expect(db.store.releaseLeases(first, [A])).toBe(1);
    expect(db.store.acquireLeases([A, B], second, TTL)).toMatchObject({ acquired: [A], refused: [{ cnpj: B, holder: { id: 'first' } }] });
    expect(db.store.releaseLeases(first)).toBe(1);
    expect(db.store.listLeases().map((l) => [l.cnpj, l.id])).toEqual([[A, 'second']]);
  });

  it('re-acquiring its own lease extends it and keeps the acquisition time', () => {
    const holder: LeaseHolder = { host: here, pid: process.pid, id: 'me' };
    db.store.acquireLeases([A], holder, TTL);
    const acquiredAt = db.clock.now();
    db.clock.advance(1000);
    expect(db.store.acquireLeases([A], holder, TTL).acquired).toEqual([A]);
    expect(db.store.listLeases()[0]).toMatchObject({ acquiredAt, renewedAt: db.clock.now(), expiresAt: db.clock.now() + TTL });
  });

  it('takes an expired lease, and the old holder learns it lost it', () => {
    const old: LeaseHolder = { host: 'host-b', pid: 4242, id: 'old' };
    const fresh: LeaseHolder = { host: here, pid: process.pid, id: 'fresh' };
    db.store.acquireLeases([A], old, TTL);
    db.clock.advance(TTL);
    expect(db.store.acquireLeases([A], fresh, TTL)).toEqual({ acquired: [A], refused: [] });
    expect(db.store.renewLeases([A], old, TTL)).toEqual({ renewed: [], lost: [A] });
    expect(db.store.releaseLeases(old)).toBe(0);
  });

  it('takes at once a lease whose holder process on this host is dead', async () => {
    const pid = await deadPid();
    expect(processIsAlive(pid)).toBe(false);
    db.store.acquireLeases([A, B], { host: here, pid, id: 'crashed' }, TTL);
    expect(db.store.acquireLeases([A, B], { host: here, pid: process.pid, id: 'restarted' }, TTL)).toEqual({ acquired: [A, B], refused: [] });
  });

  it('refuses a live process of this host, and a dead pid of another host (it cannot be checked)', async () => {
    const pid = await deadPid();
    expect(processIsAlive(process.pid)).toBe(true);
    db.store.acquireLeases([A], { host: here, pid: process.pid, id: 'alive' }, TTL);
    db.store.acquireLeases([B], { host: 'host-b', pid, id: 'elsewhere' }, TTL);
    const result = db.store.acquireLeases([A, B], { host: here, pid: process.pid + 1, id: 'newcomer' }, TTL);
    expect(result.acquired).toEqual([]);
    expect(result.refused.map((r) => [r.cnpj, r.holder.id])).toEqual([[A, 'alive'], [B, 'elsewhere']]);
  });

  it('asks a replaceable liveness check once per pid', () => {
    const asked: number[] = [];
    const probed = openStore<TestState>(db.file, { clock: db.clock, processIsAlive: (pid) => (asked.push(pid), pid !== 111) });
    probed.acquireLeases([A, B], { host: here, pid: 111, id: 'dead' }, TTL);
    probed.acquireLeases(['C'], { host: here, pid: 222, id: 'live' }, TTL);
    const result = probed.acquireLeases([A, B, 'C'], { host: here, pid: 333, id: 'new' }, TTL);
    expect(result.acquired).toEqual([A, B]);
    expect(result.refused.map((r) => r.cnpj)).toEqual(['C']);
    expect(asked).toEqual([111, 222]);
    probed.close();
  });
});
