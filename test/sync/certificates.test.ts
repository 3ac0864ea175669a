import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readPfx } from '../../src/cert/load.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import { ManualClock } from '../../src/clock.js';
import type { CompanyConfig } from '../../src/config/index.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import {
  CertificateCache, CertificateUnusableError, type CertificateEvents, type CertificateRejection,
} from '../../src/sync/certificates.js';
import { thrown } from '../helpers/thrown.js';

// The cache's decodes, counted: a rejected file must not be decoded again until it changes.
vi.mock('../../src/cert/load.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/cert/load.js')>();
  return { ...actual, readPfx: vi.fn(actual.readPfx) };
});
const decodes = vi.mocked(readPfx);

const DAY = 86_400_000;
const cnpj = (base: string): string => base + cnpjCheckDigits(base);
const A = cnpj('112223330001');
const A_BRANCH = cnpj('112223330002');
const OTHER = cnpj('445556660001');
const NOW = Date.UTC(2026, 5, 1, 12);
const PASSWORD = 'senha-teste';

const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-certcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ca = makeTestCA({ notBefore: new Date(NOW - 1000 * DAY) });

function pfx(opts: { cnpj?: string; from?: number; until?: number; password?: string } = {}): Buffer {
  return makeClientPfx(ca, {
    cnpj: opts.cnpj ?? A,
    password: opts.password ?? PASSWORD,
    notBefore: new Date(opts.from ?? NOW - 300 * DAY),
    notAfter: new Date(opts.until ?? NOW + 60 * DAY),
  });
}

// Made once: RSA keys take a while.
const original = pfx();
const renewed = pfx({ from: NOW - DAY, until: NOW + 400 * DAY });
const fingerprintOf = (bytes: Buffer, password = PASSWORD): string => {
  const f = join(dir, 'probe.pfx');
  writeFileSync(f, bytes);
  return readPfx(f, password).fingerprint256;
};

let seq = 0;
/** The file as an operator replaces it: written beside it and renamed over it. */
function drop(file: string, bytes: Buffer): void {
  const tmp = `${file}.${++seq}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
/** The file rewritten in place; the mtime moved so that two writes in one clock tick still differ. */
function overwrite(file: string, bytes: Buffer | string): void {
  writeFileSync(file, bytes);
  const t = new Date(Date.UTC(2026, 0, 1) + ++seq * 1000);
  utimesSync(file, t, t);
}

function company(file: string, cnpjOf = A): CompanyConfig {
  return { cnpj: cnpjOf, name: `Company ${cnpjOf}`, certificate: { pfx: file, password: { from: 'env', name: 'PFX_PASSWORD' } } } as CompanyConfig;
}

function recorder() {
  const rejected: CertificateRejection[] = [];
  const replaced: { current: string; previous: string }[] = [];
  const events: CertificateEvents = {
    rejected: (_c, r) => rejected.push(r),
    replaced: (_c, current, previous) => replaced.push({ current: current.fingerprint256, previous: previous.fingerprint256 }),
  };
  return { rejected, replaced, events };
}

const unusableOf = (fn: () => unknown): CertificateUnusableError => thrown(CertificateUnusableError, fn);

describe('CertificateCache: a .pfx replaced on disk', () => {
  const env = { PFX_PASSWORD: PASSWORD };
  let clock: ManualClock;
  let cache: CertificateCache;
  let file: string;
  let rec: ReturnType<typeof recorder>;
  const originalPrint = fingerprintOf(original);
  const renewedPrint = fingerprintOf(renewed);

  beforeEach(() => {
    clock = new ManualClock(NOW);
    cache = new CertificateCache(clock, env);
    file = join(dir, `company-${++seq}.pfx`);
    drop(file, original);
    rec = recorder();
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(originalPrint);
    decodes.mockClear();
  });

  it('uses a renewed certificate from its next use on, with a new TLS identity', () => {
    const before = cache.get(company(file), rec.events);
    drop(file, renewed);
    const after = cache.get(company(file), rec.events);
    expect(after.certificate.fingerprint256).toBe(renewedPrint);
    expect(after.identity.id).not.toBe(before.identity.id);
    expect(after.identity.certPem).not.toBe(before.identity.certPem);
    expect(rec.replaced).toEqual([{ current: renewedPrint, previous: originalPrint }]);
    expect(rec.rejected).toEqual([]);
    expect(decodes).toHaveBeenCalledTimes(1);
  });

  it('notices a file rewritten in place (same inode)', () => {
    overwrite(file, renewed);
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(renewedPrint);
  });

  it('accepts a certificate of another establishment of the same company (same CNPJ base)', () => {
    drop(file, pfx({ cnpj: A_BRANCH }));
    expect(cache.get(company(file), rec.events).certificate.cnpj).toBe(A_BRANCH);
    expect(rec.rejected).toEqual([]);
  });

  it("rejects another company's certificate once, says why, and keeps the old one", () => {
    drop(file, pfx({ cnpj: OTHER }));
    for (let i = 0; i < 3; i++) {
      const used = cache.get(company(file), rec.events);
      expect(used.certificate.fingerprint256).toBe(originalPrint);
    }
    expect(rec.rejected).toHaveLength(1);
    const r = rec.rejected[0]!;
    expect(r.error.code).toBe('CERT_CNPJ_MISMATCH');
    expect(r.error.message).toContain(OTHER);
    expect(r.error.message).toContain(A);
    expect(r.file).toBe(file);
    expect(r.kept?.fingerprint256).toBe(originalPrint);
    expect(rec.replaced).toEqual([]);
  });

  it('rejects an expired certificate and keeps the old one', () => {
    drop(file, pfx({ from: NOW - 400 * DAY, until: NOW - DAY }));
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(originalPrint);
    expect(rec.rejected.map((r) => r.error.code)).toEqual(['CERT_EXPIRED']);
  });

  it('rejects a certificate not yet valid, keeps the old one, and switches on its own at its notBefore', () => {
    const from = NOW + 10 * DAY;
    const future = pfx({ from, until: NOW + 400 * DAY });
    const futurePrint = fingerprintOf(future);
    decodes.mockClear();
    drop(file, future);
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(originalPrint);
    expect(rec.rejected.map((r) => r.error.code)).toEqual(['CERT_NOT_YET_VALID']);
    clock.set(from + 1);
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(futurePrint);
    expect(rec.replaced).toHaveLength(1);
    expect(decodes).toHaveBeenCalledTimes(1); // judged again on the clock, not decoded again
  });

  it('rejects a file in another password and tries it again when the password is fixed', () => {
    const env2 = { PFX_PASSWORD: PASSWORD };
    const cache2 = new CertificateCache(clock, env2);
    cache2.get(company(file), rec.events);
    drop(file, pfx({ password: 'outra-senha', from: NOW - DAY, until: NOW + 400 * DAY }));
    expect(cache2.get(company(file), rec.events).certificate.fingerprint256).toBe(originalPrint);
    expect(rec.rejected.map((r) => r.error.code)).toEqual(['CERT_BAD_PASSWORD']);
    expect(JSON.stringify(rec.rejected[0]!.error.message)).not.toContain('outra-senha');
    env2.PFX_PASSWORD = 'outra-senha';
    expect(cache2.get(company(file), rec.events).certificate.cnpj).toBe(A);
    expect(rec.replaced).toHaveLength(1);
  });

  it('rejects a file that is not a .pfx, or gone, and keeps the old one', () => {
    overwrite(file, 'not a pfx at all');
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(originalPrint);
    rmSync(file);
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(originalPrint);
    expect(rec.rejected.map((r) => r.error.code)).toEqual(['CERT_NOT_PKCS12', 'CERT_FILE_MISSING']);
  });

  it('does not decode a rejected file again until it changes', () => {
    drop(file, pfx({ cnpj: OTHER }));
    for (let i = 0; i < 5; i++) cache.get(company(file), rec.events);
    expect(decodes).toHaveBeenCalledTimes(1);
    overwrite(file, pfx({ cnpj: OTHER }));
    for (let i = 0; i < 5; i++) cache.get(company(file), rec.events);
    expect(decodes).toHaveBeenCalledTimes(2);
    expect(rec.rejected).toHaveLength(2); // once per version of the file
    drop(file, renewed);
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(renewedPrint);
    expect(decodes).toHaveBeenCalledTimes(3);
  });

  it('reports a rejection to each company sharing the file, once each', () => {
    drop(file, pfx({ cnpj: OTHER }));
    for (let i = 0; i < 2; i++) {
      cache.get(company(file, A), rec.events);
      cache.get(company(file, A_BRANCH), rec.events);
    }
    expect(rec.rejected).toHaveLength(2);
    expect(decodes).toHaveBeenCalledTimes(1);
  });

  it('a caller without events does not use up the report', () => {
    drop(file, pfx({ cnpj: OTHER }));
    cache.get(company(file));
    cache.get(company(file), rec.events);
    expect(rec.rejected).toHaveLength(1);
  });

  it('once the old one expires with a rejected file in place, nothing serves: CERT_EXPIRED saying both', () => {
    drop(file, pfx({ cnpj: OTHER }));
    cache.get(company(file), rec.events);
    const notAfter = NOW + 60 * DAY;
    clock.set(notAfter + 1);
    const e = unusableOf(() => cache.get(company(file), rec.events));
    expect(e.code).toBe('CERT_EXPIRED');
    expect(e.notAfter).toBe(notAfter);
    expect(e.file).toBe(file);
    expect(e.message).toMatch(/expired on .*not accepted either.*belongs to CNPJ/s);
    expect(rec.rejected).toHaveLength(1);
    // a valid one dropped in serves at once
    drop(file, renewed);
    expect(cache.get(company(file), rec.events).certificate.fingerprint256).toBe(renewedPrint);
  });

  it('an expired certificate with no replacement: CERT_EXPIRED with its notAfter, no rejection reported', () => {
    clock.set(NOW + 61 * DAY);
    const e = unusableOf(() => cache.get(company(file), rec.events));
    expect(e.code).toBe('CERT_EXPIRED');
    expect(e.notAfter).toBe(NOW + 60 * DAY);
    expect(e.message).not.toMatch(/not accepted either/);
    expect(rec.rejected).toEqual([]);
    expect(decodes).not.toHaveBeenCalled();
  });
});

describe('CertificateCache: the first load', () => {
  it('a bad file with nothing to keep throws the reason, and is decoded once per version', () => {
    const file = join(dir, 'first.pfx');
    drop(file, pfx({ cnpj: OTHER }));
    const cache = new CertificateCache(new ManualClock(NOW), { PFX_PASSWORD: PASSWORD });
    decodes.mockClear();
    const e = unusableOf(() => cache.get(company(file)));
    expect(e.code).toBe('CERT_CNPJ_MISMATCH');
    expect(unusableOf(() => cache.get(company(file))).code).toBe('CERT_CNPJ_MISMATCH');
    expect(decodes).toHaveBeenCalledTimes(1);
  });

  it('a missing file, and a password that cannot be read', () => {
    const cache = new CertificateCache(new ManualClock(NOW), {});
    expect(unusableOf(() => cache.get(company(join(dir, 'nowhere.pfx')))).code).toBe('PASSWORD_UNAVAILABLE');
    const withPassword = new CertificateCache(new ManualClock(NOW), { PFX_PASSWORD: PASSWORD });
    expect(unusableOf(() => withPassword.get(company(join(dir, 'nowhere.pfx')))).code).toBe('CERT_FILE_MISSING');
  });
});
