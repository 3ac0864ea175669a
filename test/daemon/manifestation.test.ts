import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SyncHarness, stopAfterEach } from '../support/syncHarness.js';

const HOUR = 3_600_000;
const A = '112223330001' + cnpjCheckDigits('112223330001');

const track = stopAfterEach();

describe('auto-manifestation (manifest: ciencia) against the simulator', () => {
  it('200 summaries end as 200 full NF-e, each key manifested exactly once', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, manifest: 'ciencia' }]));
    h.sim.addCompany(A, { documents: 200, summariesOnly: true, spreadDays: 5 });
    await h.start();
    await h.runUntil(clock.now() + 3 * HOUR);

    const events = h.sim.events(A);
    expect(events).toHaveLength(200);
    expect(new Set(events.map((e) => e.chNFe)).size).toBe(200);
    expect(events.every((e) => e.tpEvento === '210210')).toBe(true);
    const batches = h.sim.calls().filter((c) => c.op === 'envEvento');
    expect(batches.length).toBe(10); // 20 events a batch
    expect(batches.every((c) => c.cStat === '128')).toBe(true);

    const stored = [...h.store.iterateDocuments({ cnpj: A })];
    expect(stored.filter((d) => d.kind === 'resNFe')).toHaveLength(200);
    const full = stored.filter((d) => d.kind === 'procNFe');
    expect(full).toHaveLength(200);
    expect(new Set(full.map((d) => d.chNFe))).toEqual(new Set(events.map((e) => e.chNFe)));
    expect(h.store.pendingSummaries(A)).toEqual([]);
    expect(h.store.listManifestations(A).every((m) => m.state === 'done' && m.nProt !== null)).toBe(true);
    expect(h.sim.violations()).toEqual([]);
  });

  it('a cancelled NF-e is not manifested, and a rejected event is never sent again on its own', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A, manifest: 'ciencia' }]));
    h.sim.addCompany(A, { documents: 0 });
    const cancelled = h.sim.addNFe(A, { cSitNFe: '3' });
    const authorized = h.sim.addNFe(A, { cSitNFe: '1' });
    await h.start();
    await h.runUntil(clock.now() + 3 * HOUR);
    const queued = h.store.listManifestations(A);
    expect(queued.map((m) => m.chNFe)).toEqual([authorized.chNFe]);
    expect(h.sim.events(A).map((e) => e.chNFe)).toEqual([authorized.chNFe]);
    expect(h.store.pendingSummaries(A).map((p) => p.chNFe)).toEqual([cancelled.chNFe]);

    // an event SEFAZ refuses for good (here: a key it does not know) stays refused
    const unknown = authorized.chNFe!.slice(0, 25) + '999999999' + authorized.chNFe!.slice(34, 43);
    const { mod11Digit } = await import('../../src/sefaz/identifiers.js');
    const key = unknown + String(mod11Digit(unknown));
    h.store.queueManifestations(A, [{ chNFe: key, tpEvento: '210200', origin: 'manual' }]);
    await h.runUntil(clock.now() + 6 * HOUR);
    const refused = h.store.listManifestations(A, key);
    expect(refused).toMatchObject([{ state: 'failed', cStat: '494' }]);
    const sent = h.sim.calls().filter((c) => c.op === 'envEvento' && c.events?.some((e) => e.chNFe === key));
    expect(sent).toHaveLength(1);
    expect(h.sim.violations()).toEqual([]);
  });
});

describe('events and the 656 block', () => {
  it('no event goes out while the CNPJ is blocked by a 656, and they go after the hour', async () => {
    const clock = new ManualClock(Date.now());
    const h = track(new SyncHarness(clock, [{ cnpj: A }]));
    h.sim.addCompany(A, { documents: 30 });
    await h.start();
    await h.daemon.runDue();
    const key = h.sim.documents(A).find((d) => d.kind === 'resNFe')!.chNFe!;
    // a targeted query meets a 656 (another system tripped the CNPJ) in the step that also has an event to send
    h.sim.scriptAnswer(A, { cStat: '656' });
    h.store.queueTargeted(A, [{ op: 'consChNFe', value: key, reason: 'manual' }]);
    h.store.queueManifestations(A, [{ chNFe: key, tpEvento: '210200', origin: 'manual' }]);
    await h.daemon.runDue();
    const blockedUntil = h.store.getCompany(A)!.blockedUntil!;
    expect(blockedUntil).toBeGreaterThan(clock.now());
    expect(h.sim.calls().filter((c) => c.op === 'envEvento')).toEqual([]);
    await h.runUntil(blockedUntil - 1);
    expect(h.sim.calls().filter((c) => c.op === 'envEvento')).toEqual([]);
    await h.runUntil(blockedUntil + 60_000);
    expect(h.sim.calls().filter((c) => c.op === 'envEvento')).toHaveLength(1);
    expect(h.store.listManifestations(A, key)).toMatchObject([{ state: 'done' }]);
    expect(h.sim.violations()).toEqual([]);
  });
});
