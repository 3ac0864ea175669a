import { afterEach, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { ManualClock } from '../../src/clock.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SyncHarness } from '../support/syncHarness.js';

const HOUR = 3_600_000;
const MARGIN = 120_000;
const cnpj = (base: string): string => base + cnpjCheckDigits(base);
const A = cnpj('112223330001');
const B = cnpj('445556660001');

describe('daemon against the simulator (discrete-event clock)', () => {
  let h: SyncHarness;
  afterEach(async () => h?.stop());

  it('drains a backlog back to back, stores every document once, then waits the hour after ultNSU == maxNSU', async () => {
    const clock = new ManualClock(Date.now());
    h = new SyncHarness(clock, [{ cnpj: A, documents: 230 }, { cnpj: B, documents: 0 }]);
    await h.start();
    await h.daemon.runDue();
    expect(h.store.countDocuments(A)).toBe(230);
    const a = h.store.getCompany(A)!;
    expect(a.ultNSU).toBe('000000000000230');
    expect(a.maxNSU).toBe('000000000000230');
    // 5 calls for 230 documents: the 5th answer already says ultNSU == maxNSU, no 137 needed
    const callsA = h.sim.calls().filter((c) => c.cnpj === A);
    expect(callsA.map((c) => c.cStat)).toEqual(['138', '138', '138', '138', '138']);
    expect(a.nextDistAt).toBe(clock.now() + HOUR + MARGIN);
    const b = h.store.getCompany(B)!;
    expect(h.sim.calls().filter((c) => c.cnpj === B).map((c) => c.cStat)).toEqual(['137']);
    expect(b.nextDistAt).toBe(clock.now() + HOUR + MARGIN);

    // every NSU 1..230 stored once, bytes as the simulator sent them
    const nsus = [...h.store.iterateDocuments({ cnpj: A })].map((d) => d.NSU);
    expect(nsus).toEqual(Array.from({ length: 230 }, (_, i) => String(i + 1).padStart(15, '0')));
    const simDocs = h.sim.documents(A);
    const first = [...h.store.iterateDocuments({ cnpj: A })][0]!;
    expect(gunzipSync(first.gzip).toString('utf8')).toContain(simDocs[0]!.chNFe ?? '');

    // nothing happens inside the hour; new documents are fetched right after it
    const before = h.sim.calls().length;
    await h.runUntil(clock.now() + HOUR);
    expect(h.sim.calls().length).toBe(before);
    h.sim.addDocuments(A, 60);
    await h.runUntil(clock.now() + 10 * 60_000);
    expect(h.store.countDocuments(A)).toBe(290);
    expect(h.sim.violations()).toEqual([]);
  });

  it('persists waits: a restarted daemon honours the hour it did not count itself', async () => {
    const clock = new ManualClock(Date.now());
    h = new SyncHarness(clock, [{ cnpj: B, documents: 0 }]);
    await h.start();
    await h.daemon.runDue();
    const wait = h.store.getCompany(B)!.nextDistAt!;
    await h.daemon.stop();
    h.runtime.close();
    await h.start(); // same state directory: a new process
    await h.runUntil(wait - 1);
    expect(h.sim.calls().filter((c) => c.cnpj === B)).toHaveLength(1);
    await h.runUntil(wait + 1);
    expect(h.sim.calls().filter((c) => c.cnpj === B)).toHaveLength(2);
    expect(h.sim.violations()).toEqual([]);
  });
});

describe('certificate lifecycle', () => {
  let h: SyncHarness;
  afterEach(async () => h?.stop());

  it('a company stopped for an expired certificate syncs again once the renewed .pfx is in place and the config reloaded', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { makeClientPfx } = await import('../../src/cert/testMaterial.js');
    const clock = new ManualClock(Date.now());
    h = new SyncHarness(clock, [{ cnpj: A, documents: 10 }]);
    await h.start();
    await h.daemon.runDue();
    const notAfter = h.store.getCompany(A)!.certificate!.notAfter;
    clock.set(notAfter + 1000);
    h.sim.addDocuments(A, 5);
    await h.daemon.runDue();
    expect(h.store.getCompany(A)!.state.stopped?.code).toMatch(/EXPIRED/);
    const calls = h.sim.calls().length;

    // the operator installs the renewed certificate (same path, same password) and reloads
    const ca = { certPem: readFileSync(join(h.tlsDir, 'ca.pem'), 'utf8'), keyPem: readFileSync(join(h.tlsDir, 'ca.key'), 'utf8') };
    const password = readFileSync(join(h.tlsDir, `${A}.pass`), 'utf8');
    writeFileSync(join(h.tlsDir, `${A}.pfx`), makeClientPfx(ca, { cnpj: A, password, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(clock.now() + 365 * 86_400_000) }));
    h.daemon.reload(h.runtime.withConfig(h.config));
    await h.daemon.runDue();
    expect(h.sim.calls().length).toBe(calls + 1);
    expect(h.store.getCompany(A)!.state.stopped).toBeNull();
    expect(h.store.countDocuments(A)).toBe(15); // the 5 that arrived meanwhile (the first 10 are past SEFAZ's 90 days, already stored)
    expect(h.sim.violations()).toEqual([]);
  });
});
