import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readPfx } from '../../src/cert/load.js';
import { makeClientPfx, type PemPair } from '../../src/cert/testMaterial.js';
import { ManualClock } from '../../src/clock.js';
import type { NotificationEvent } from '../../src/notify/notify.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SyncHarness } from '../support/syncHarness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const cnpj = (base: string): string => base + cnpjCheckDigits(base);
const A = cnpj('112223330001');
const OTHER = cnpj('445556660001');

describe('certificate hot reload through the daemon, against the simulator', () => {
  let h: SyncHarness;
  afterEach(async () => h?.stop());

  it('takes a renewed .pfx, keeps the old one against a bad replacement, pauses when nothing valid is left and resumes on its own', async () => {
    // The simulator checks client certificates against the REAL clock, the daemon against
    // the manual one: every certificate the simulator must accept is valid in both.
    const clock = new ManualClock(Date.now());
    h = new SyncHarness(clock, [{ cnpj: A, documents: 10 }]);
    await h.start();
    const file = join(h.tlsDir, `${A}.pfx`);
    const ca: PemPair = { certPem: readFileSync(join(h.tlsDir, 'ca.pem'), 'utf8'), keyPem: readFileSync(join(h.tlsDir, 'ca.key'), 'utf8') };
    const password = readFileSync(join(h.tlsDir, `${A}.pass`), 'utf8');
    const make = (opts: { cnpj?: string; from: number; until: number }): Buffer =>
      makeClientPfx(ca, { cnpj: opts.cnpj ?? A, password, notBefore: new Date(opts.from), notAfter: new Date(opts.until) });
    let drops = 0;
    const drop = (bytes: Buffer): void => {
      const tmp = `${file}.${++drops}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
    };
    const printOf = (pem: string): string => new X509Certificate(pem).fingerprint256;
    /** The certificate now in the file, read on its own (not through the daemon's cache). */
    const printOnDisk = (): string => readPfx(file, password).fingerprint256;

    const post = vi.spyOn(h.runtime.ctx.transport, 'post');
    /** The certificate each SEFAZ call presented over TLS, in order. */
    const presented = (): string[] => post.mock.calls.map(([req]) => printOf(req.identity.certPem));
    const notified: NotificationEvent[] = [];
    const notify = h.runtime.ctx.notify;
    h.runtime.ctx.notify = (e) => {
      notified.push(e);
      notify(e);
    };
    const callsOfA = () => h.sim.calls().filter((c) => c.cnpj === A);
    const stopped = () => h.store.getCompany(A)!.state.stopped;
    const logged = (re: RegExp) => h.log.lines.filter((l) => l.notification === undefined && re.test(String(l.msg)));

    await h.daemon.runDue();
    expect(h.store.countDocuments(A)).toBe(10);
    const firstPrint = presented().at(-1)!;

    // 1. A renewed certificate, same CNPJ: used from the next call on, no restart, no reload.
    const renewedNotAfter = Math.floor((clock.now() + 30 * DAY) / 1000) * 1000; // X.509 keeps whole seconds
    drop(make({ from: Date.now() - MINUTE, until: renewedNotAfter }));
    const renewedPrint = printOnDisk();
    expect(renewedPrint).not.toBe(firstPrint);
    h.sim.addDocuments(A, 3);
    let calls = post.mock.calls.length;
    await h.runUntil(clock.now() + 2 * HOUR);
    expect(post.mock.calls.length).toBeGreaterThan(calls);
    expect(new Set(presented().slice(calls))).toEqual(new Set([renewedPrint]));
    expect(callsOfA().at(-1)!.cStat).toMatch(/^13[78]$/); // the simulator accepted the new certificate over mutual TLS
    expect(h.store.countDocuments(A)).toBe(13);
    expect(h.store.getCompany(A)!.certificate!.notAfter).toBe(renewedNotAfter);
    expect(logged(/replaced on disk/)).toHaveLength(1);

    // 2. Another company's certificate: rejected once, saying why; the renewed one goes on.
    drop(make({ cnpj: OTHER, from: Date.now() - MINUTE, until: clock.now() + 365 * DAY }));
    h.sim.addDocuments(A, 2);
    calls = post.mock.calls.length;
    await h.runUntil(clock.now() + 4 * HOUR);
    expect(post.mock.calls.length).toBeGreaterThanOrEqual(calls + 2);
    expect(new Set(presented().slice(calls))).toEqual(new Set([renewedPrint]));
    expect(h.store.countDocuments(A)).toBe(15);
    expect(stopped()).toBeNull();
    const rejectedOther = notified.filter((n) => n.kind === 'certificate-rejected');
    expect(rejectedOther).toHaveLength(1);
    expect(rejectedOther[0]!.cnpj).toBe(A);
    expect(rejectedOther[0]!.roles).toEqual(['technical']);
    expect(rejectedOther[0]!.message).toMatch(new RegExp(`belongs to CNPJ ${OTHER}.*still using the previous certificate`, 's'));
    expect(logged(/was rejected/)).toHaveLength(1);

    // 3. An expired certificate: rejected, the renewed one goes on.
    drop(make({ from: Date.now() - 400 * DAY, until: Date.now() - DAY }));
    calls = post.mock.calls.length;
    await h.runUntil(clock.now() + 2 * HOUR);
    expect(post.mock.calls.length).toBeGreaterThan(calls);
    expect(new Set(presented().slice(calls))).toEqual(new Set([renewedPrint]));
    expect(stopped()).toBeNull();
    const rejected = notified.filter((n) => n.kind === 'certificate-rejected');
    expect(rejected).toHaveLength(2);
    expect(rejected[1]!.message).toMatch(/expired on .*still using the previous certificate/s);
    expect(new Set(rejected.map((n) => n.dedupeKey)).size).toBe(2); // one per version of the file

    // 4. The certificate in use expires (the file on disk is still the expired replacement):
    // the company pauses with a clear status, makes no call, is told once.
    clock.set(renewedNotAfter + MINUTE);
    h.sim.addDocuments(A, 4);
    calls = h.sim.calls().length;
    await h.daemon.runDue();
    expect(stopped()).toMatchObject({ code: 'CERT_EXPIRED' });
    expect(stopped()!.message).toMatch(/^stopped: certificate in .* expired on .*Drop the new \.pfx in place of .*resumes on its own/s);
    expect(h.daemon.nextWakeAt()).toBe(clock.now() + MINUTE); // still scheduled: it looks at the file again
    await h.runUntil(clock.now() + 30 * MINUTE);
    expect(h.sim.calls().length).toBe(calls);
    expect(stopped()).toMatchObject({ code: 'CERT_EXPIRED' });
    const expired = notified.filter((n) => n.kind === 'certificate-expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]!.dedupeKey).toBe(`cert-expired:${A}:${new Date(renewedNotAfter).toISOString()}`);
    expect(notified.filter((n) => n.kind === 'certificate-rejected')).toHaveLength(2);
    expect(logged(/company paused/)).toHaveLength(1);

    // 5. A valid one dropped in: the company resumes on its own within a minute.
    drop(make({ from: Date.now() - MINUTE, until: clock.now() + 365 * DAY }));
    const validPrint = printOnDisk();
    const droppedAt = clock.now();
    calls = post.mock.calls.length;
    await h.runUntil(droppedAt + 2 * MINUTE);
    expect(stopped()).toBeNull();
    expect(post.mock.calls.length).toBe(calls + 1);
    expect(callsOfA().at(-1)!.at).toBeLessThanOrEqual(droppedAt + MINUTE);
    expect(presented().at(-1)).toBe(validPrint);
    expect(h.store.countDocuments(A)).toBe(19);
    expect(logged(/resuming the company stopped for/)).toHaveLength(1);

    expect(logged(/unexpected error/)).toEqual([]);
    expect(h.sim.violations()).toEqual([]);
  });
});
