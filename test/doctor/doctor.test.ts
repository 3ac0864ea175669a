import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctorCommand } from '../../src/cli/commands/doctor.js';
import { ensureTestMaterial, type TestMaterial } from '../../src/cert/testMaterial.js';
import { ManualClock } from '../../src/clock.js';
import { runDoctor } from '../../src/doctor/run.js';
import type { CheckResult } from '../../src/doctor/check.js';
import { cnpj, tempDir, writeConfig, type CompanyEntry } from '../status/support.js';

const A = cnpj('100000000001');
const B = cnpj('200000000001');

interface Server {
  port: number;
  handshakes: () => number;
  /** Application bytes the server received: a doctor must send none (no HTTP, no SEFAZ query). */
  bytes: () => number;
  stop: () => Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function stopper(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** A TLS server like SEFAZ's: it requires a client certificate issued by the test CA. */
async function startTlsServer(m: TestMaterial): Promise<Server> {
  let handshakes = 0;
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    { key: readFileSync(m.serverKey), cert: readFileSync(m.serverCert), ca: readFileSync(m.caCert), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      handshakes += 1;
      socket.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      socket.on('error', () => {});
    },
  );
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  return { port, handshakes: () => handshakes, bytes: () => bytes, stop: stopper(server, sockets) };
}

/** Accepts TCP connections and never answers. */
async function startSilentServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  const port = await listen(server);
  return { port, stop: stopper(server, sockets) };
}

let dir: string;
let cleanup: () => void;
let m: TestMaterial;
let server: Server;
let configs = 0;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('doctor'));
  m = ensureTestMaterial(join(dir, 'material'), [A, B]);
  server = await startTlsServer(m);
});
afterAll(async () => {
  await server.stop();
  cleanup();
});

const pfx = (c: string): Pick<CompanyEntry, 'pfx' | 'passwordFile'> => ({ pfx: join(m.dir, `${c}.pfx`), passwordFile: join(m.dir, `${c}.pass`) });

/** A config in its own directory, its state directory created 0700, pointing at `port`. */
function setup(companies: CompanyEntry[], options: { caFile?: boolean; port?: number; connectTimeoutSeconds?: number } = {}): { file: string; stateDir: string } {
  const base = join(dir, `case${++configs}`);
  const stateDir = join(base, 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const url = `https://127.0.0.1:${options.port ?? server.port}`;
  const file = writeConfig(base, companies, {
    sefaz: {
      urls: { distribuicao: `${url}/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx`, recepcaoEvento: `${url}/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx` },
      ...(options.caFile === false ? {} : { caFile: m.caCert }),
      ...(options.connectTimeoutSeconds === undefined ? {} : { connectTimeoutSeconds: options.connectTimeoutSeconds }),
    },
  });
  return { file, stateDir };
}

const io = { env: {}, clock: new ManualClock(Date.now()) };
const byCheck = (results: CheckResult[], check: string | RegExp): CheckResult => {
  const found = results.find((r) => (typeof check === 'string' ? r.check === check : check.test(r.check)));
  if (found === undefined) throw new Error(`no check ${String(check)} in ${JSON.stringify(results.map((r) => r.check))}`);
  return found;
};

describe('doctor', () => {
  it('passes every check, with one TLS handshake and no byte of HTTP, when sefaz.caFile trusts the server', async () => {
    const { file } = setup([{ cnpj: A, ...pfx(A) }]);
    const handshakes = server.handshakes();
    const results = await runDoctor({ config: file }, io);
    expect(results.map((r) => [r.status, r.check])).toEqual([
      ['ok', 'config'],
      ['ok', 'state directory'],
      ['ok', 'state database'],
      ['ok', 'sefaz.caFile'],
      ['ok', `company ${A} password`],
      ['ok', `company ${A} certificate`],
      ['ok', `TLS 127.0.0.1:${server.port}`],
    ]);
    expect(byCheck(results, `company ${A} certificate`).message).toMatch(new RegExp(`^CNPJ ${A}, .*valid \\d{4}-\\d\\d-\\d\\d to \\d{4}-\\d\\d-\\d\\d, 36\\d days left$`));
    expect(byCheck(results, /^TLS/).message).toMatch(new RegExp(`^TLSv1\\.2 handshake done with the certificate of CNPJ ${A}; server 127\\.0\\.0\\.1, issued by AC dfe-sync TESTE`));
    expect(server.handshakes() - handshakes).toBe(1);
    expect(server.bytes()).toBe(0);
  });

  it("fails the handshake with the ICP-Brasil hint when the server's chain is not trusted", async () => {
    const { file } = setup([{ cnpj: A, ...pfx(A) }], { caFile: false });
    const results = await runDoctor({ config: file }, io);
    const t = byCheck(results, /^TLS/);
    expect(t.status).toBe('fail');
    expect(t.message).toMatch(/TLS handshake with .* failed \(.+\): the server's certificate is not issued by a trusted CA/);
    expect(t.message).toContain('https://acraiz.icpbrasil.gov.br/credenciadas/CertificadosAC-ICP-Brasil/ACcompactado.zip');
    expect(t.message).toMatch(/ITI repository of ICP-Brasil certificates.*concatenate the certificates as PEM into one file.*set sefaz\.caFile to that file/s);
  });

  it('fails the certificate of a wrong password, and does not try TLS without a usable certificate', async () => {
    const { file } = setup([{ cnpj: A, pfx: join(m.dir, `${A}.pfx`), passwordFile: join(dir, 'wrong.pass') }]);
    writeFileSync(join(dir, 'wrong.pass'), 'not the password\n');
    const results = await runDoctor({ config: file }, io);
    expect(byCheck(results, `company ${A} password`).status).toBe('ok');
    expect(byCheck(results, `company ${A} certificate`)).toMatchObject({ status: 'fail', message: expect.stringMatching(/^wrong password for .*\.pfx/) });
    expect(byCheck(results, /^TLS/)).toMatchObject({ status: 'warn', message: expect.stringMatching(/^not tried/) });
  });

  it("fails a certificate that belongs to another company's CNPJ", async () => {
    const { file } = setup([{ cnpj: A, ...pfx(B) }]);
    const results = await runDoctor({ config: file }, io);
    expect(byCheck(results, `company ${A} certificate`)).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(new RegExp(`belongs to CNPJ ${B} .*not to the company's CNPJ ${A}`)),
    });
  });

  it('fails a password file that cannot be read', async () => {
    const { file } = setup([{ cnpj: A, pfx: join(m.dir, `${A}.pfx`), passwordFile: join(dir, 'absent.pass') }]);
    const results = await runDoctor({ config: file }, io);
    expect(byCheck(results, `company ${A} password`)).toMatchObject({ status: 'fail', message: expect.stringMatching(/password file \(passwordFile\) does not exist/) });
  });

  it('does not fail a systemd credential it cannot see outside the service, and says how to check it', async () => {
    const base = join(dir, 'credential');
    mkdirSync(base);
    const file = join(base, 'config.yaml');
    writeFileSync(file, readFileSync(setup([{ cnpj: A, ...pfx(A) }]).file, 'utf8').replace(/passwordFile: .*/, 'passwordCredential: acme-pass'));
    const results = await runDoctor({ config: file }, io);
    expect(byCheck(results, `company ${A} password`)).toMatchObject({ status: 'warn', message: expect.stringMatching(/^not checked, nor the certificate: .*LoadCredential=acme-pass:/) });
    const credentials = join(base, 'credentials');
    mkdirSync(credentials);
    writeFileSync(join(credentials, 'acme-pass'), readFileSync(join(m.dir, `${A}.pass`)));
    const inService = await runDoctor({ config: file }, { ...io, env: { CREDENTIALS_DIRECTORY: credentials } });
    expect(byCheck(inService, `company ${A} password`)).toMatchObject({ status: 'ok', message: 'readable (passwordCredential acme-pass)' });
    expect(byCheck(inService, `company ${A} certificate`).status).toBe('ok');
  });

  it('warns of a state directory other users can read', async () => {
    const { file, stateDir } = setup([{ cnpj: A, ...pfx(A) }]);
    chmodSync(stateDir, 0o755);
    const results = await runDoctor({ config: file }, io);
    expect(byCheck(results, 'state directory')).toEqual({
      status: 'warn',
      check: 'state directory',
      message: `${stateDir} is open to every user of this machine (mode 0755) but holds the companies' documents: chmod 700 ${stateDir}`,
    });
  });

  it('fails when no handshake completes within sefaz.connectTimeoutSeconds', async () => {
    const silent = await startSilentServer();
    try {
      const { file } = setup([{ cnpj: A, ...pfx(A) }], { port: silent.port, connectTimeoutSeconds: 0.2 });
      const results = await runDoctor({ config: file }, io);
      expect(byCheck(results, /^TLS/)).toMatchObject({ status: 'fail', message: expect.stringMatching(/^no TLS handshake within 0\.2 s \(connected, then silence\)/) });
    } finally {
      await silent.stop();
    }
  });

  it('fails an invalid config and stops there', async () => {
    const base = join(dir, 'bad');
    mkdirSync(base);
    writeFileSync(join(base, 'config.yaml'), 'environment: staging\n');
    const results = await runDoctor({ config: join(base, 'config.yaml') }, io);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'fail', check: 'config', message: expect.stringContaining('production or homologation') });
  });
});

describe('doctor command', () => {
  it('prints one line per check as it completes and a summary; exit code 0 without FAIL', async () => {
    const { file } = setup([{ cnpj: A, ...pfx(A) }]);
    const lines: string[] = [];
    const done = await runDoctorCommand({ config: file, cnpj: [] }, { ...io, out: { stdout: (t) => lines.push(t), stderr: () => {}, setExitCode: () => {} } });
    expect(lines).toHaveLength(7);
    expect(lines.every((l) => /^OK {3}\S.*: .+\n$/.test(l))).toBe(true);
    expect(done).toEqual({ text: '7 OK, 0 WARN, 0 FAIL: all good\n', exitCode: 0 });
  });

  it('exits 1 when a check fails', async () => {
    const { file } = setup([{ cnpj: A, ...pfx(B) }]);
    const lines: string[] = [];
    const done = await runDoctorCommand({ config: file, cnpj: [] }, { ...io, out: { stdout: (t) => lines.push(t), stderr: () => {}, setExitCode: () => {} } });
    expect(lines.some((l) => l.startsWith(`FAIL company ${A} certificate: `))).toBe(true);
    expect(done.exitCode).toBe(1);
    expect(done.text).toMatch(/1 FAIL: fix what FAIL names/);
  });
});
