import { describe, expect, it, beforeAll } from 'vitest';
import forge from 'node-forge';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateError, loadPfx, readPfx } from '../../src/cert/load.js';
import { encodePfx } from '../../src/cert/pfxWrite.js';
import { makeClientPfx, makeServerCertificate, makeTestCA, type PemPair } from '../../src/cert/testMaterial.js';
import { DfeSyncError } from '../../src/errors.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { available } from '../helpers/reference.js';
import { certificateErrorOf, hasOpenssl, tempDir } from './helpers.js';

const CNPJ = '11222333000181';
const BRANCH = `112223330002${cnpjCheckDigits('112223330002')}`;
const OTHER_COMPANY = '45997418000153';
const ALNUM = '12ABC34501DE35';
const PASSWORD = 'correct-horse-42';
const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
const NOT_AFTER = new Date('2027-01-01T00:00:00Z');
const DURING = Date.UTC(2026, 6, 1);

describe('loadPfx', () => {
  const dir = tempDir();
  let ca: PemPair;
  let modern: string;
  let legacy: string;
  const file = (name: string, bytes: Buffer | string): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  beforeAll(() => {
    ca = makeTestCA();
    const validity = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER };
    modern = file('modern.pfx', makeClientPfx(ca, { cnpj: CNPJ, name: 'ACME LTDA', password: PASSWORD, ...validity }));
    legacy = file('legacy.pfx', makeClientPfx(ca, { cnpj: CNPJ, name: 'ACME LTDA', password: PASSWORD, legacy: true, ...validity }));
  });

  it.each([
    ['modern AES-256', () => modern],
    ['legacy RC2-40/3DES', () => legacy],
  ])('reads a %s .pfx: PEMs TLS accepts, the CA as chain, the CNPJ from the otherName', (_kind, path) => {
    const c = loadPfx(path(), PASSWORD, { expectCnpj: CNPJ, now: DURING });
    const x509 = new X509Certificate(c.certPem);
    expect(x509.checkPrivateKey(createPrivateKey(c.keyPem))).toBe(true);
    expect(c.fingerprint256).toBe(x509.fingerprint256);
    expect(c.chainPem).toHaveLength(1);
    expect(new X509Certificate(c.chainPem[0]!).fingerprint256).toBe(new X509Certificate(ca.certPem).fingerprint256);
    expect(x509.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(c.cnpj).toBe(CNPJ);
    expect(c.subject).toMatch(/(^|, )CN=ACME LTDA$/);
    expect(c.subject).toContain('O=ICP-Brasil');
    expect(c.issuer).toContain('CN=AC dfe-sync TESTE');
    expect(c.notBefore.toISOString()).toBe(NOT_BEFORE.toISOString());
    expect(c.notAfter.toISOString()).toBe(NOT_AFTER.toISOString());
  });

  it('reads the CNPJ from a NAME:CNPJ common name when the certificate has no otherName for it', () => {
    const path = file('cn.pfx', makeClientPfx(ca, { cnpj: CNPJ, name: 'NFe - Associacao NF-e', password: PASSWORD, cnpjIn: 'cn' }));
    const c = loadPfx(path, PASSWORD);
    expect(c.subject).toMatch(/CN=NFe - Associacao NF-e:11222333000181$/);
    expect(c.cnpj).toBe(CNPJ);
  });

  it('reads an alphanumeric CNPJ and matches it by its 8-character base', () => {
    const path = file('alnum.pfx', makeClientPfx(ca, { cnpj: ALNUM, password: PASSWORD }));
    const branch = `12ABC345ZZZZ${cnpjCheckDigits('12ABC345ZZZZ')}`;
    expect(loadPfx(path, PASSWORD, { expectCnpj: branch }).cnpj).toBe(ALNUM);
    expect(certificateErrorOf(() => loadPfx(path, PASSWORD, { expectCnpj: '12ABD34501DE' + cnpjCheckDigits('12ABD34501DE') })).code)
      .toBe('CERT_CNPJ_MISMATCH');
  });

  it('accepts a branch of the same company (same CNPJ base)', () => {
    expect(loadPfx(modern, PASSWORD, { expectCnpj: BRANCH, now: DURING }).cnpj).toBe(CNPJ);
  });

  describe('rejects each bad case with its own code and a message naming the file', () => {
    it('missing file', () => {
      const path = join(dir, 'nope.pfx');
      const e = certificateErrorOf(() => loadPfx(path, PASSWORD));
      expect(e).toBeInstanceOf(DfeSyncError);
      expect(e.code).toBe('CERT_FILE_MISSING');
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/does not exist/);
    });

    it('a directory where the file should be', () => {
      const e = certificateErrorOf(() => loadPfx(dir, PASSWORD));
      expect(e.code).toBe('CERT_FILE_UNREADABLE');
      expect(e.message).toContain(dir);
    });

    it('not a PKCS#12: PEM text, random bytes, an empty file', () => {
      const pem = file('cert.pem', ca.certPem);
      const e = certificateErrorOf(() => loadPfx(pem, PASSWORD));
      expect(e.code).toBe('CERT_NOT_PKCS12');
      expect(e.message).toContain(pem);
      expect(e.message).toMatch(/PEM/);
      for (const [name, bytes] of [['random.pfx', randomBytes(2000)], ['empty.pfx', Buffer.alloc(0)]] as const) {
        const path = file(name, bytes);
        const err = certificateErrorOf(() => loadPfx(path, PASSWORD));
        expect(err.code).toBe('CERT_NOT_PKCS12');
        expect(err.message).toContain(path);
      }
    });

    it.each([
      ['modern', () => modern],
      ['legacy', () => legacy],
    ])('wrong password (%s), which the message never repeats', (_kind, path) => {
      const wrong = 'Wr0ng-Pa55word-xyz';
      const e = certificateErrorOf(() => loadPfx(path(), wrong));
      expect(e.code).toBe('CERT_BAD_PASSWORD');
      expect(e.message).toContain(path());
      expect(e.message).not.toContain(wrong);
      expect(e.message).not.toContain(PASSWORD);
      expect(JSON.stringify(e)).not.toContain(wrong);
    });

    it('wrong password on a file without an integrity MAC', () => {
      const server = makeServerCertificate(ca);
      const noMac = forge.pkcs12.toPkcs12Asn1(
        forge.pki.privateKeyFromPem(server.keyPem), forge.pki.certificateFromPem(server.certPem), PASSWORD, { algorithm: 'aes256', useMac: false },
      );
      const path = file('nomac.pfx', Buffer.from(forge.asn1.toDer(noMac).getBytes(), 'binary'));
      expect(loadPfx(path, PASSWORD).subject).toContain('CN=127.0.0.1');
      expect(certificateErrorOf(() => loadPfx(path, 'Wr0ng')).code).toBe('CERT_BAD_PASSWORD');
    });

    it('no private key in the file', () => {
      const noKey = forge.pkcs12.toPkcs12Asn1(null, forge.pki.certificateFromPem(ca.certPem), PASSWORD, { algorithm: 'aes256' });
      const path = file('nokey.pfx', Buffer.from(forge.asn1.toDer(noKey).getBytes(), 'binary'));
      const e = certificateErrorOf(() => loadPfx(path, PASSWORD));
      expect(e.code).toBe('CERT_NO_KEY');
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/no private key/);
    });

    it('a private key without its certificate', () => {
      const server = makeServerCertificate(ca);
      const path = file('stray-key.pfx', encodePfx({
        keyDer: createPrivateKey(server.keyPem).export({ type: 'pkcs8', format: 'der' }),
        certsDer: [new X509Certificate(ca.certPem).raw],
        password: PASSWORD,
        legacy: false,
      }));
      const e = certificateErrorOf(() => loadPfx(path, PASSWORD));
      expect(e.code).toBe('CERT_NO_KEY');
      expect(e.message).toMatch(/no certificate for it/);
    });

    it('expired, and not yet valid, on the injected clock', () => {
      const expired = certificateErrorOf(() => loadPfx(modern, PASSWORD, { now: NOT_AFTER.getTime() + 1 }));
      expect(expired.code).toBe('CERT_EXPIRED');
      expect(expired.message).toContain(modern);
      expect(expired.message).toContain('expired on 2027-01-01');
      const early = certificateErrorOf(() => loadPfx(modern, PASSWORD, { now: NOT_BEFORE.getTime() - 1 }));
      expect(early.code).toBe('CERT_NOT_YET_VALID');
      expect(early.message).toContain(modern);
      expect(early.message).toContain('2026-01-01T00:00:00.000Z');
      // readPfx does not judge: inspect shows expired certificates
      expect(readPfx(modern, PASSWORD).cnpj).toBe(CNPJ);
    });

    it('a CNPJ base other than the company\'s', () => {
      const e = certificateErrorOf(() => loadPfx(modern, PASSWORD, { expectCnpj: OTHER_COMPANY, now: DURING }));
      expect(e.code).toBe('CERT_CNPJ_MISMATCH');
      expect(e.message).toContain(modern);
      expect(e.message).toContain(CNPJ);
      expect(e.message).toContain(OTHER_COMPANY);
      expect(e.message).toContain('593');
    });

    it('no CNPJ at all, when one is expected', () => {
      const server = makeServerCertificate(ca);
      const path = file('server.pfx', encodePfx({
        keyDer: createPrivateKey(server.keyPem).export({ type: 'pkcs8', format: 'der' }),
        certsDer: [new X509Certificate(server.certPem).raw],
        password: PASSWORD,
        legacy: false,
      }));
      expect(loadPfx(path, PASSWORD).cnpj).toBeNull();
      const e = certificateErrorOf(() => loadPfx(path, PASSWORD, { expectCnpj: CNPJ }));
      expect(e.code).toBe('CERT_NO_CNPJ');
      expect(e).toBeInstanceOf(CertificateError);
    });
  });

  it('opens files whose password is not ASCII (MAC from Unicode, AES key from UTF-8, as OpenSSL does)', () => {
    const password = 'ação-Ü';
    for (const isLegacy of [false, true]) {
      const path = file(`unicode-${isLegacy}.pfx`, makeClientPfx(ca, { cnpj: CNPJ, password, legacy: isLegacy }));
      expect(loadPfx(path, password).cnpj).toBe(CNPJ);
      expect(certificateErrorOf(() => loadPfx(path, 'acao-U')).code).toBe('CERT_BAD_PASSWORD');
    }
  });

  describe.skipIf(!available('openssl', hasOpenssl()))('interoperates with OpenSSL', () => {
    const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

    it('reads .pfx files written by openssl pkcs12 -export, -legacy and default, ASCII and non-ASCII passwords', () => {
      const source = loadPfx(modern, PASSWORD, { now: DURING });
      const key = file('o.key', source.keyPem);
      const cert = file('o.pem', source.certPem);
      const chain = file('o-ca.pem', source.chainPem.join(''));
      for (const password of [PASSWORD, 'senha-ação']) {
        for (const flags of [['-legacy'], []]) {
          const out = join(dir, `openssl${flags.join('')}-${password.length}.pfx`);
          openssl('pkcs12', '-export', ...flags, '-inkey', key, '-in', cert, '-certfile', chain, '-out', out, '-passout', `pass:${password}`);
          const c = loadPfx(out, password, { expectCnpj: CNPJ, now: DURING });
          expect(c.fingerprint256).toBe(source.fingerprint256);
          expect(createPrivateKey(c.keyPem).export({ type: 'pkcs8', format: 'der' }))
            .toEqual(createPrivateKey(source.keyPem).export({ type: 'pkcs8', format: 'der' }));
          expect(c.chainPem).toHaveLength(1);
          expect(certificateErrorOf(() => loadPfx(out, 'not-it')).code).toBe('CERT_BAD_PASSWORD');
        }
      }
    });

    it('the generator\'s legacy file is RC2-40 + 3DES and its modern one AES-256, as OpenSSL sees them', () => {
      // openssl prints the -info lines on stderr
      const info = (path: string): string => {
        const r = spawnSync('openssl', ['pkcs12', '-info', '-noout', '-legacy', '-in', path, '-passin', `pass:${PASSWORD}`], { encoding: 'utf8' });
        expect(r.status).toBe(0);
        return r.stderr;
      };
      const legacyInfo = info(legacy);
      expect(legacyInfo).toMatch(/Encrypted data: pbeWithSHA1And40BitRC2-CBC/);
      expect(legacyInfo).toMatch(/Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
      expect(legacyInfo).toMatch(/MAC: sha1/);
      const modernInfo = info(modern);
      expect(modernInfo).toMatch(/Encrypted data: PBES2, PBKDF2, AES-256-CBC/);
      expect(modernInfo).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
      expect(modernInfo).toMatch(/MAC: sha256/);
    });
  });
});
