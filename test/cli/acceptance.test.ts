import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_PATH } from '../../src/sefaz/endpoints.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { available, projectRoot } from '../helpers/reference.js';
import { onLines } from '../support/childLines.js';

const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const A = '112223330001' + cnpjCheckDigits('112223330001');
const B = '445556660001' + cnpjCheckDigits('445556660001');

/** A long-running command whose stdout lines are collected as they come. */
class Running {
  readonly lines: string[] = [];
  readonly exit: Promise<number | null>;
  private waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  constructor(readonly child: ChildProcess) {
    onLines(child.stdout!, (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.test(line) ? (w.resolve(line), false) : true));
    });
    this.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }
  waitFor(test: (line: string) => boolean): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
const start = (...args: string[]) => new Running(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));

function config(dir: string, tls: string, url: string, cnpjs: string[]): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, [
    'environment: homologation',
    `stateDir: ${join(dir, 'state')}`,
    'companies:',
    ...cnpjs.flatMap((c) => [
      `  - cnpj: "${c}"`, `    name: Company ${c}`, '    uf: SP',
      `    certificate: { pfx: ${join(tls, `${c}.pfx`)}, passwordFile: ${join(tls, `${c}.pass`)} }`,
    ]),
    `sefaz: { urls: { distribuicao: "${url}${DIST_PATH}" }, caFile: ${join(tls, 'ca.pem')} }`,
    `output: { dir: ${join(dir, 'out')} }`,
    'http: { listen: "127.0.0.1:0" }',
  ].join('\n'));
  return file;
}

describe.skipIf(!available('the built CLI (npm run build)', existsSync(CLI)))('the dfe-sync command, end to end against `dfe-sync sim`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-cli-'));
  const tls = join(dir, 'tls');
  let sim: Running;
  let url: string;
  let file: string;

  beforeAll(async () => {
    sim = start('sim', '--tls-dir', tls, '--port', '0', '--cnpj', A, '--documents', '120', '--cnpj', B, '--documents', '0');
    const first = await sim.waitFor(() => true);
    expect(first).toMatch(/^listening https:\/\/127\.0\.0\.1:\d+$/);
    url = first.slice('listening '.length);
    file = config(dir, tls, url, [A]);
  });

  afterAll(async () => {
    sim.child.kill('SIGTERM');
    await sim.exit;
    rmSync(dir, { recursive: true, force: true });
  });

  it('sim made the test material the config points at', () => {
    for (const f of ['ca.pem', 'server.pem', 'server.key', `${A}.pfx`, `${A}.pass`, `${B}.pfx`, `${B}.pass`]) {
      expect(existsSync(join(tls, f)), f).toBe(true);
    }
    expect(readFileSync(join(tls, `${A}.pass`), 'utf8')).not.toMatch(/\n$/);
  });

  it('run --once drains the backlog, one JSON log line per call with the fields an operator greps', () => {
    const r = cli('run', '--once', '--config', file);
    expect(r.status, r.stderr).toBe(0);
    const calls = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.op === 'distNSU');
    expect(calls).toHaveLength(3);
    for (const c of calls) {
      for (const k of ['cnpj', 'op', 'ultNSU', 'maxNSU', 'cStat', 'xMotivo', 'docs', 'ms', 'nextAt']) expect(c, k).toHaveProperty(k);
    }
    expect(calls.at(-1)).toMatchObject({ cnpj: A, ultNSU: '000000000000120', maxNSU: '000000000000120', cStat: '138' });
    // output.dir got every document right after its commit
    expect(readdirSync(join(dir, 'out', A))).toHaveLength(120);
  });

  it('status --json gives the pinned fields', () => {
    const r = cli('status', '--config', file, '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { companies: Record<string, unknown>[] };
    const a = s.companies[0]!;
    expect(a).toMatchObject({ cnpj: A, ultNSU: '000000000000120', maxNSU: '000000000000120', documents: 120, lastCStat: '138', blockedUntil: null, problems: [] });
    expect(Date.parse(a.nextDistAt as string)).toBeGreaterThan(Date.now() + 3_600_000);
    const table = cli('status', '--config', file);
    expect(table.stdout).toContain(A);
  });

  it('export writes each document byte-identical to output.dir, idempotently', () => {
    const out = join(dir, 'export');
    const first = cli('export', '--config', file, '--out', out);
    expect(first.status, first.stderr).toBe(0);
    const names = readdirSync(join(out, A)).sort();
    expect(names).toHaveLength(120);
    expect(names[0]).toMatch(/^000000000000001-(resNFe|procNFe|resEvento|procEventoNFe)(-[0-9A-Z]{44})?\.xml$/);
    for (const n of names) expect(readFileSync(join(out, A, n)).equals(readFileSync(join(dir, 'out', A, n)))).toBe(true);
    const again = cli('export', '--config', file, '--out', out);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/0 written/);
  });

  it('a second process refuses a CNPJ the daemon holds; SIGHUP reloads; SIGTERM exits 0', async () => {
    const daemon = start('run', '--config', file);
    const started = JSON.parse(await daemon.waitFor((l) => l.includes('dfe-sync started'))) as { status: string };
    // the daemon serves its status page and API on loopback, behind the token it made
    const token = readFileSync(join(dir, 'state', 'http.token'), 'utf8').trim();
    expect((await fetch(new URL('api/status', started.status))).status).toBe(401);
    const api = await fetch(new URL('api/status', started.status), { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect(((await api.json()) as { companies: { cnpj: string }[] }).companies[0]!.cnpj).toBe(A);
    const metrics = await (await fetch(new URL('metrics', started.status), { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toContain('dfe_sync_certificate_days_left');
    const second = cli('run', '--once', '--config', file);
    expect(second.status).toBe(1); // the CNPJ was not synced by this process: an operational failure
    expect(second.stdout).toContain('is being worked by another dfe-sync process');

    // a reload that cannot work (the CA file is gone) keeps the running config, and the process
    const broken = config(dir, tls, url, [A, B]);
    writeFileSync(broken, readFileSync(broken, 'utf8').replace(join(tls, 'ca.pem'), join(tls, 'missing.pem')));
    daemon.child.kill('SIGHUP');
    await daemon.waitFor((l) => l.includes('configuration not reloaded'));

    config(dir, tls, url, [A, B]);
    daemon.child.kill('SIGHUP');
    await daemon.waitFor((l) => l.includes('configuration reloaded'));
    const call = await daemon.waitFor((l) => l.includes(`"cnpj":"${B}"`) && l.includes('"op":"distNSU"'));
    expect(JSON.parse(call)).toMatchObject({ cnpj: B, cStat: '137' });

    daemon.child.kill('SIGTERM');
    expect(await daemon.exit).toBe(0);
    expect(daemon.lines.some((l) => l.includes('stopped cleanly'))).toBe(true);
  });

  it('the simulator counted no rule broken and says so when stopped', async () => {
    sim.child.kill('SIGTERM');
    expect(await sim.exit).toBe(0);
    expect(sim.lines.at(-1)).toMatch(/^stopped: \d+ calls, 0 rule violations$/);
  });
});
