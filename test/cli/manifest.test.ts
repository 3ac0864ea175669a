import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerManifestCommand, runManifest, type ManifestOptions } from '../../src/cli/commands/manifest.js';
import { ManualClock } from '../../src/clock.js';
import { stateDbPath } from '../../src/store/index.js';
import { HOUR, NOW, accessKey, addCompanies, cnpj, openTestStore, outcome, tempDir, writeConfig } from '../status/support.js';

const A = cnpj('110000000001');
const B = cnpj('220000000001'); // configured, never seen by the daemon
const OFF = cnpj('330000000001'); // disabled
const K = accessKey(1);

let dir: string;
let cleanup: () => void;
let file: string;
const clock = new ManualClock(NOW);
const io = { env: {}, clock };

const manifest = (o: Partial<ManifestOptions>) => outcome(() => runManifest({ config: file, cnpj: A, key: K, event: 'ciencia', ...o }, io));
const rows = (c: string, key: string) => {
  const store = openTestStore(join(dir, 'state'), clock);
  try {
    return store.listManifestations(c, key);
  } finally {
    store.close();
  }
};

beforeAll(() => {
  ({ dir, cleanup } = tempDir('manifest'));
  file = writeConfig(dir, [{ cnpj: A, name: 'Alfa' }, { cnpj: B }, { cnpj: OFF, enabled: false }]);
  const store = openTestStore(join(dir, 'state'), clock);
  addCompanies(store, [A]);
  store.close();
});
afterAll(() => cleanup());

describe('manifest', () => {
  it('queues the event durably, once, and says so', async () => {
    const r = await manifest({});
    expect(r).toEqual({
      stdout: `queued: Ciência da Operação for ${K}; the running daemon sends it within seconds (or the next \`dfe-sync run\`)\n`,
      stderr: '',
      exitCode: 0,
    });
    expect(rows(A, K)).toEqual([expect.objectContaining({ tpEvento: '210210', nSeqEvento: 1, origin: 'manual', state: 'pending', xJust: null, queuedAt: NOW })]);
  });

  it('does not queue a repeat, and says what became of the first', async () => {
    clock.set(NOW + 60_000);
    const r = await manifest({});
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`not queued again: Ciência da Operação for ${K} is already in the queue (state pending): queued on 2026-11-20 12:00, not sent yet\n`);
    expect(rows(A, K)).toHaveLength(1);
  });

  it('gives state, cStat and nProt of one SEFAZ registered', async () => {
    const store = openTestStore(join(dir, 'state'), clock);
    store.finishManifestations(A, [{ key: { chNFe: K, tpEvento: '210210', nSeqEvento: 1 }, result: { state: 'done', outcome: 'registered', cStat: '135', xMotivo: 'Evento registrado e vinculado a NF-e', nProt: '891260000000123' } }], NOW + HOUR);
    store.close();
    const r = await manifest({});
    expect(r.stdout).toBe(`not queued again: Ciência da Operação for ${K} is already in the queue (state done): registered by SEFAZ on 2026-11-20 13:00 (cStat 135, nProt 891260000000123)\n`);
    expect(rows(A, K)).toHaveLength(1);
  });

  it('says a refused event is never sent again', async () => {
    const key = accessKey(2);
    expect((await manifest({ key })).exitCode).toBe(0);
    const store = openTestStore(join(dir, 'state'), clock);
    store.finishManifestations(A, [{ key: { chNFe: key, tpEvento: '210210', nSeqEvento: 1 }, result: { state: 'failed', outcome: 'out-of-deadline', cStat: '596', xMotivo: 'Rejeicao: Evento apresentado fora do prazo' } }], NOW + HOUR);
    store.close();
    const r = await manifest({ key });
    expect(r.stdout).toMatch(/^not queued again: .* \(state failed\): refused by SEFAZ as out of deadline on .* \(cStat 596 "Rejeicao: Evento apresentado fora do prazo"\); a refused event is never sent again/);
    expect(rows(A, key)).toHaveLength(1);
  });

  it('queues another event type for the same key as its own event', async () => {
    const r = await manifest({ event: 'confirmacao' });
    expect(r.stdout).toMatch(/^queued: Confirmação da Operação for /);
    expect(rows(A, K).map((m) => m.tpEvento).sort()).toEqual(['210200', '210210']);
  });

  it('adds a configured company the daemon has not seen yet, and notes a disabled one', async () => {
    const key = accessKey(3);
    expect((await manifest({ cnpj: B, key })).exitCode).toBe(0);
    expect(rows(B, key)).toHaveLength(1);
    const off = await manifest({ cnpj: OFF, key });
    expect(off.stdout).toContain(`note: ${OFF} is disabled in ${file} (enabled: false): nothing is sent for it until it is enabled`);
  });

  it('creates the state database when the daemon never ran', async () => {
    const t = tempDir('manifest-new');
    try {
      const fresh = writeConfig(t.dir, [{ cnpj: A }]);
      const r = await outcome(() => runManifest({ config: fresh, cnpj: A, key: K, event: 'ciencia' }, io));
      expect(r.exitCode).toBe(0);
      expect(existsSync(stateDbPath(join(t.dir, 'state')))).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('accepts a key as the DANFE prints it, in groups of four', async () => {
    const key = accessKey(4);
    const r = await manifest({ key: key.replace(/(.{4})/g, '$1 ').trim() });
    expect(r.stdout).toContain(`for ${key};`);
  });
});

describe('manifest justification', () => {
  const j = (n: number) => 'x'.repeat(n);
  let n = 1000;
  const nextKey = () => accessKey(n++);
  it.each([
    ['nao-realizada', undefined, /--event nao-realizada needs --justification TEXT \(15 to 255 characters\)/],
    ['nao-realizada', j(14), /the justification \(xJust\) must have 15 to 255 characters, not 14/],
    ['nao-realizada', j(256), /must have 15 to 255 characters, not 256/],
    ['nao-realizada', 'Mercadoria não\nentregue ao cliente', /holds "\\n"/],
    ['ciencia', j(20), /--justification is not accepted with --event ciencia: Ciência da Operação carries none/],
    ['confirmacao', j(20), /--justification is not accepted with --event confirmacao/],
  ])('refuses --event %s with justification %j (exit 2, nothing queued)', async (event, justification, message) => {
    const key = nextKey();
    const r = await manifest({ event, key, ...(justification === undefined ? {} : { justification }) });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^dfe-sync: /);
    expect(r.stderr).toMatch(message);
    expect(rows(A, key)).toEqual([]);
  });

  it.each([
    ['nao-realizada', j(15)],
    ['nao-realizada', j(255)],
    ['desconhecimento', undefined],
    ['desconhecimento', '  Não reconhecemos esta compra  '],
  ])('queues --event %s with justification %j', async (event, justification) => {
    const key = nextKey();
    const r = await manifest({ event, key, ...(justification === undefined ? {} : { justification }) });
    expect(r.exitCode, r.stderr).toBe(0);
    const [row] = rows(A, key);
    expect(row).toMatchObject({ xJust: justification?.trim() ?? null, origin: 'manual' });
  });
});

describe('manifest usage errors (exit 2)', () => {
  const bad = accessKey(5).slice(0, 43) + String((Number(accessKey(5)[43]) + 1) % 10);
  it.each([
    [{ cnpj: '12345678000100' }, /^dfe-sync: --cnpj .*check digit/],
    [{ cnpj: cnpj('990000000001') }, /is not a company of .*config\.yaml: add it there first/],
    [{ key: bad }, new RegExp(`--key ${bad}: the check digit is wrong \\(it should be ${accessKey(5)[43]}, not ${bad[43]}\\)`)],
    [{ key: accessKey(5).slice(1) }, /is not an access key: it has 43 characters, an NF-e key has 44 digits/],
    [{ key: `${accessKey(5).slice(0, 40)}abcd` }, /is not an access key/],
    [{ key: accessKey(5, { mod: '65' }) }, /is a model 65 document: a recipient's events exist for NF-e \(model 55\) only/],
    [{ event: 'ciência' }, /--event "ciência" is not an event: use one of confirmacao, ciencia, desconhecimento, nao-realizada/],
  ])('%j', async (o, message) => {
    const r = await manifest(o);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 on a config that cannot be read', async () => {
    const r = await outcome(() => runManifest({ config: join(dir, 'missing.yaml'), cnpj: A, key: K, event: 'ciencia' }, io));
    expect(r.exitCode).toBe(2);
  });
});

describe('manifest command line', () => {
  const exitCode = process.exitCode;
  afterEach(() => {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  });

  it('takes the pinned form and queues', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const program = new Command();
    registerManifestCommand(program);
    const key = accessKey(6);
    await program.parseAsync(['node', 'dfe-sync', 'manifest', '--config', file, '--cnpj', A, '--key', key, '--event', 'nao-realizada', '--justification', 'Mercadoria devolvida na portaria']);
    expect(out.join('')).toMatch(/^queued: Operação não Realizada for /);
    expect(process.exitCode ?? 0).toBe(0);
    expect(rows(A, key)).toEqual([expect.objectContaining({ tpEvento: '210240', xJust: 'Mercadoria devolvida na portaria' })]);
  });

  it('exits 2 when a required option is missing', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    const program = new Command();
    registerManifestCommand(program);
    await expect(program.parseAsync(['node', 'dfe-sync', 'manifest', '--config', file, '--cnpj', A, '--key', K])).rejects.toThrow('exit 2');
    expect(exit).toHaveBeenCalledWith(2);
    expect(err.join('')).toMatch(/^dfe-sync: required option '--event <name>' not specified/);
  });
});
