/** `dfe-sync sim`: its option parsing, the function it runs, and (once wired into main.ts) the real process. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadPfx } from '../../src/cert/load.js';
import { buildDistEnvelope } from '../../src/sefaz/envelope.js';
import { DIST_PATH } from '../../src/sefaz/endpoints.js';
import { parseDistResponse } from '../../src/sefaz/response.js';
import { SoapTransport, type TlsIdentity } from '../../src/transport/soapTransport.js';
import { buildSimCommand } from '../../src/cli/commands/sim.js';
import { startSimulator, type SimCommandOptions } from '../../src/sim/cli.js';
import { projectRoot } from '../helpers/reference.js';

const A = '11222333000181';
const B = '45997418000153';

async function parse(argv: string[]): Promise<SimCommandOptions> {
  let got: SimCommandOptions | undefined;
  const cmd = buildSimCommand(async (o) => {
    got = o;
  });
  cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await cmd.parseAsync(argv, { from: 'user' });
  return got!;
}

async function usageError(argv: string[]): Promise<string> {
  try {
    await parse(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CommanderError);
    return (err as CommanderError).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('dfe-sync sim options', () => {
  it('give each --documents to the --cnpj before it, whatever comes between', async () => {
    const o = await parse([
      '--tls-dir', '/tmp/x', '--cnpj', A, '--documents', '5', '--cnpj', B, '--port', '8443', '--documents', '7',
      '--environment', 'production', '--seed', '9', '--clock-scale', '60',
    ]);
    expect(o).toEqual({
      tlsDir: '/tmp/x', port: 8443, environment: 'production', seed: 9, clockScale: 60,
      companies: [{ cnpj: A, documents: 5 }, { cnpj: B, documents: 7 }],
    });
  });

  it('default to any port, homologation, seed 1, real time, and no documents for a --cnpj alone', async () => {
    expect(await parse(['--tls-dir', 'd', '--cnpj', A])).toEqual({
      tlsDir: 'd', port: 0, environment: 'homologation', seed: 1, clockScale: 1, companies: [{ cnpj: A, documents: 0 }],
    });
  });

  it('take the delay before a manifested NF-e is released, in seconds', async () => {
    const o = await parse(['--tls-dir', 'd', '--cnpj', A, '--full-document-delay', '5']);
    expect(o.fullDocumentDelayMs).toBe(5000);
    expect(await usageError(['--tls-dir', 'd', '--full-document-delay', 'soon'])).toMatch(/full-document-delay/);
  });

  it('refuse what cannot work, saying why', async () => {
    expect(await usageError(['--tls-dir', 'd', '--documents', '3', '--cnpj', A])).toMatch(/--documents 3 must follow the --cnpj/);
    expect(await usageError(['--tls-dir', 'd', '--cnpj', A, '--documents', '3', '--documents', '4'])).toMatch(/already has --documents 3/);
    expect(await usageError(['--tls-dir', 'd', '--cnpj', '11222333000182'])).toMatch(/check digits/);
    expect(await usageError(['--tls-dir', 'd', '--cnpj', A, '--cnpj', A])).toMatch(/given twice/);
    expect(await usageError(['--tls-dir', 'd', '--environment', 'staging'])).toMatch(/production or homologation/);
    expect(await usageError(['--tls-dir', 'd', '--port', '70000'])).toMatch(/--port must be a whole number from 0 to 65535/);
    expect(await usageError(['--tls-dir', 'd', '--clock-scale', '0'])).toMatch(/--clock-scale must be a positive number/);
    expect(await usageError(['--cnpj', A])).toMatch(/--tls-dir/);
  });
});

function identityFrom(dir: string, cnpj: string): TlsIdentity {
  const pfx = join(dir, `${cnpj}.pfx`);
  const cert = loadPfx(pfx, readFileSync(join(dir, `${cnpj}.pass`), 'utf8'));
  return { id: pfx, keyPem: cert.keyPem, certPem: cert.certPem, chainPem: cert.chainPem };
}

async function distNSU(transport: SoapTransport, url: string, identity: TlsIdentity, cnpj: string, ultNSU: string) {
  const env = buildDistEnvelope({ tpAmb: '2', interested: { CNPJ: cnpj }, query: { kind: 'distNSU', ultNSU } });
  return parseDistResponse((await transport.post({ url, identity, body: env.body, contentType: env.contentType })).body);
}

describe('startSimulator (what the command runs)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dfe-sim-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the TLS material, prints the listening line first and a JSON line per call, and a closing line', async () => {
    const lines: string[] = [];
    const running = await startSimulator(
      { tlsDir: dir, port: 0, environment: 'homologation', companies: [{ cnpj: A, documents: 60 }, { cnpj: B, documents: 0 }], seed: 1, clockScale: 1 },
      (l) => lines.push(l),
      new ManualClock(),
    );
    for (const f of ['ca.pem', 'ca.key', 'server.pem', 'server.key', `${A}.pfx`, `${A}.pass`, `${B}.pfx`, `${B}.pass`]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(readFileSync(join(dir, `${A}.pass`), 'utf8')).not.toMatch(/\n$/);
    expect(lines).toEqual([expect.stringMatching(/^listening https:\/\/127\.0\.0\.1:\d+$/)]);
    expect(lines[0]).toBe(`listening ${running.url}`);

    const transport = new SoapTransport({ ca: readFileSync(join(dir, 'ca.pem'), 'utf8') });
    try {
      const url = running.url + DIST_PATH;
      const id = identityFrom(dir, A);
      const first = await distNSU(transport, url, id, A, '000000000000000');
      expect([first.cStat, first.docs[0]?.NSU, first.maxNSU]).toEqual(['138', '000000000000001', '000000000000060']);
      expect((await distNSU(transport, url, id, A, '000000000000007')).cStat).toBe('656');
    } finally {
      transport.close();
    }
    expect(lines.slice(1).map((l) => (JSON.parse(l) as { cStat: string }).cStat)).toEqual(['138', '656']);
    expect(await running.stop()).toBe('stopped: 2 calls, 1 rule violations');
  });

  it('keeps the material a directory already has', async () => {
    const before = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const running = await startSimulator(
      { tlsDir: dir, port: 0, environment: 'production', companies: [{ cnpj: A, documents: 1 }], seed: 1, clockScale: 1 },
      () => {},
    );
    await running.stop();
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(before);
  });
});

const main = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const wired = readFileSync(join(projectRoot, 'src', 'cli', 'main.ts'), 'utf8').includes('registerSimCommand');

describe.skipIf(!wired || !existsSync(main))('dfe-sync sim, the process (needs the build: npm test builds first)', () => {
  it('serves, prints listening first, stops on SIGTERM with a last line and exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfe-sim-proc-'));
    try {
      const child = spawn(process.execPath, [main, 'sim', '--tls-dir', dir, '--port', '0', '--cnpj', A, '--documents', '3'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = (await lines.next()).value as string;
      expect(first).toMatch(/^listening https:\/\/127\.0\.0\.1:\d+$/);
      const transport = new SoapTransport({ ca: readFileSync(join(dir, 'ca.pem'), 'utf8') });
      try {
        const ret = await distNSU(transport, first.slice('listening '.length) + DIST_PATH, identityFrom(dir, A), A, '000000000000000');
        expect([ret.cStat, ret.docs.length]).toEqual(['138', 3]);
      } finally {
        transport.close();
      }
      expect(JSON.parse((await lines.next()).value as string)).toMatchObject({ cnpj: A, op: 'distNSU', cStat: '138', docs: 3 });
      child.kill('SIGTERM');
      expect((await lines.next()).value).toBe('stopped: 1 calls, 0 rule violations');
      expect(await exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
