import { beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadPfx, readPfx } from '../../src/cert/load.js';
import { ensureTestMaterial, type TestMaterial } from '../../src/cert/testMaterial.js';
import { certificateErrorOf, tempDir } from './helpers.js';

const A = '11222333000181';
const B = '12ABC34501DE35';
const C = '45997418000153';

const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
const mode = (path: string): number => statSync(path).mode & 0o777;
const signedBy = (certPath: string, caPath: string): boolean =>
  new X509Certificate(readFileSync(certPath)).verify(new X509Certificate(readFileSync(caPath)).publicKey);

describe('ensureTestMaterial', () => {
  const root = tempDir();
  const dir = join(root, 'tls');
  let first: TestMaterial;

  beforeAll(() => {
    first = ensureTestMaterial(dir, [A, B], { password: (cnpj) => `senha-${cnpj}` });
  });

  it('writes the CA, the server pair and a .pfx + .pass per CNPJ, keys and passwords 0600', () => {
    expect(readdirSync(dir).sort()).toEqual([`${A}.pass`, `${A}.pfx`, `${B}.pass`, `${B}.pfx`, 'ca.key', 'ca.pem', 'server.key', 'server.pem']);
    expect(first.written.map((f) => f.slice(dir.length + 1)).sort()).toEqual(readdirSync(dir).sort());
    for (const secret of [first.caKey, first.serverKey, ...first.clients.flatMap((c) => [c.pfx, c.passwordFile])]) {
      expect(mode(secret), secret).toBe(0o600);
    }
    expect(mode(first.caCert)).toBe(0o644);
    expect(mode(first.serverCert)).toBe(0o644);
    expect(mode(dir)).toBe(0o700);
  });

  it('each .pass holds the password without a newline, and opens its .pfx, signed by ca.pem', () => {
    for (const c of first.clients) {
      const password = readFileSync(c.passwordFile, 'utf8');
      expect(password).toBe(`senha-${c.cnpj}`);
      const cert = loadPfx(c.pfx, password, { expectCnpj: c.cnpj });
      expect(cert.cnpj).toBe(c.cnpj);
      expect(new X509Certificate(cert.certPem).verify(new X509Certificate(readFileSync(first.caCert)).publicKey)).toBe(true);
    }
    expect(signedBy(first.serverCert, first.caCert)).toBe(true);
    expect(new X509Certificate(readFileSync(first.serverCert)).checkHost('localhost')).toBe('localhost');
    expect(new X509Certificate(readFileSync(first.serverCert)).checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('a second run keeps every file byte for byte and writes nothing', () => {
    const before = snapshot(dir);
    const again = ensureTestMaterial(dir, [A, B]);
    expect(again.written).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a new CNPJ later gets a certificate from the same CA; the rest is kept', () => {
    const before = snapshot(dir);
    const m = ensureTestMaterial(dir, [A, C], { legacy: true });
    expect(m.written.map((f) => f.slice(dir.length + 1)).sort()).toEqual([`${C}.pass`, `${C}.pfx`]);
    const after = snapshot(dir);
    for (const [name, bytes] of Object.entries(before)) expect(after[name], name).toBe(bytes);
    const password = readFileSync(join(dir, `${C}.pass`), 'utf8');
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const cert = loadPfx(join(dir, `${C}.pfx`), password);
    expect(new X509Certificate(cert.certPem).verify(new X509Certificate(readFileSync(m.caCert)).publicKey)).toBe(true);
  });

  it('remakes a lost server key with its certificate, and a lost .pfx with the password already given', () => {
    const caBefore = readFileSync(first.caCert, 'utf8');
    rmSync(first.serverKey);
    rmSync(join(dir, `${A}.pfx`));
    const m = ensureTestMaterial(dir, [A]);
    expect(m.written.map((f) => f.slice(dir.length + 1)).sort()).toEqual([`${A}.pfx`, 'server.key', 'server.pem']);
    expect(readFileSync(first.caCert, 'utf8')).toBe(caBefore);
    expect(signedBy(first.serverCert, first.caCert)).toBe(true);
    expect(readPfx(join(dir, `${A}.pfx`), `senha-${A}`).cnpj).toBe(A);
  });

  it('refuses to guess when half of a pair is gone', () => {
    const lonely = join(root, 'lonely');
    const m = ensureTestMaterial(lonely, [A]);
    rmSync(m.clients[0]!.passwordFile);
    const noPass = certificateErrorOf(() => ensureTestMaterial(lonely, [A]));
    expect(noPass.code).toBe('CERT_TEST_MATERIAL_INCOMPLETE');
    expect(noPass.message).toContain(`${A}.pass`);
    rmSync(m.caKey);
    const noKey = certificateErrorOf(() => ensureTestMaterial(lonely, []));
    expect(noKey.code).toBe('CERT_TEST_MATERIAL_INCOMPLETE');
    expect(noKey.message).toContain('ca.key');
  });

  it('a new CA means a new server certificate and client files, keeping the passwords given', () => {
    const fresh = join(root, 'fresh');
    ensureTestMaterial(fresh, [A], { password: () => 'first' });
    rmSync(join(fresh, 'ca.pem'));
    rmSync(join(fresh, 'ca.key'));
    const m = ensureTestMaterial(fresh, [A]);
    expect(m.written.map((f) => f.slice(fresh.length + 1)).sort()).toEqual([`${A}.pfx`, 'ca.key', 'ca.pem', 'server.key', 'server.pem']);
    expect(signedBy(m.serverCert, m.caCert)).toBe(true);
    const cert = loadPfx(m.clients[0]!.pfx, 'first');
    expect(new X509Certificate(cert.certPem).verify(new X509Certificate(readFileSync(m.caCert)).publicKey)).toBe(true);
  });

  it('rejects a CNPJ that is not one (it would name files)', () => {
    expect(() => ensureTestMaterial(join(root, 'bad'), ['../../etc/passwd'])).toThrow(/not a 14-digit CNPJ/);
    expect(existsSync(join(root, 'bad'))).toBe(false);
  });
});
