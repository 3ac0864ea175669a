import { Command } from 'commander';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportDocuments, registerExportCommand, runExport } from '../../src/cli/commands/export.js';
import { ManualClock } from '../../src/clock.js';
import { initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import type { Store, StoredDocument } from '../../src/store/index.js';
import { NOW, addCompanies, answered, chNFe, cnpj, doc, nsu, openTestStore, tempDir, writeConfig } from '../status/support.js';

const A = cnpj('100000000001');
const B = cnpj('200000000001');
const C = cnpj('300000000001'); // configured, nothing stored yet
const UNKNOWN = cnpj('990000000001');

let dir: string;
let cleanup: () => void;
let configFile: string;
let outCount = 0;
const docsA = [doc(1, 1), doc(2, 2, { kind: 'procNFe' }), doc(3, 3, { kind: 'resEvento' }), doc(4, 4, { raw: true })];
const keyOnly = doc(null, 9, { kind: 'procNFe' });
const docsB = [doc(1, 21), doc(2, 22)];

/** Every file under `root`, relative. */
function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

const freshOut = (): string => join(dir, `out${++outCount}`);

beforeAll(() => {
  ({ dir, cleanup } = tempDir('export'));
  configFile = writeConfig(dir, [{ cnpj: A }, { cnpj: B }, { cnpj: C }]);
  const store = openTestStore(join(dir, 'state'), new ManualClock(NOW));
  addCompanies(store, [A, B]);
  const afterA: CompanyState = { ...initialCompanyState(), ultNSU: nsu(4), maxNSU: nsu(4), answered: true };
  store.commitDistBatch(A, { docs: docsA, state: afterA, call: answered(NOW, 0, 4) });
  // A consChNFe answer: its document has no NSU and the cursor stays where it is.
  store.commitDistBatch(A, { docs: [keyOnly], state: afterA, call: { at: NOW, op: 'consChNFe', requestChNFe: chNFe(9), cStat: '138', xMotivo: 'Documento localizado', docs: 1, ms: 20 } });
  store.commitDistBatch(B, { docs: docsB, state: { ...initialCompanyState(), ultNSU: nsu(2), maxNSU: nsu(2), answered: true }, call: answered(NOW, 0, 2) });
  store.close();
});
afterAll(() => cleanup());

describe('export', () => {
  it('writes each document under <cnpj>/ with the pinned names, byte-identical to the decompressed docZip', () => {
    const out = freshOut();
    const text = runExport({ config: configFile, out });
    expect(files(out)).toEqual([
      `${A}/${nsu(1)}-resNFe-${chNFe(1)}.xml`,
      `${A}/${nsu(2)}-procNFe-${chNFe(2)}.xml`,
      `${A}/${nsu(3)}-resEvento-${chNFe(3)}.xml`,
      `${A}/${nsu(4)}-resNFe-${chNFe(4)}.docZip`,
      `${A}/key-${chNFe(9)}-procNFe.xml`,
      `${B}/${nsu(1)}-resNFe-${chNFe(21)}.xml`,
      `${B}/${nsu(2)}-resNFe-${chNFe(22)}.xml`,
    ].sort());
    expect(readFileSync(join(out, A, `${nsu(2)}-procNFe-${chNFe(2)}.xml`)).equals(gunzipSync(docsA[1]!.gzip))).toBe(true);
    expect(readFileSync(join(out, A, `key-${chNFe(9)}-procNFe.xml`)).equals(gunzipSync(keyOnly.gzip))).toBe(true);
    expect(readFileSync(join(out, B, `${nsu(1)}-resNFe-${chNFe(21)}.xml`)).equals(docsB[0]!.xml!)).toBe(true);
    // A docZip that never decompressed is kept as it came, not dropped.
    expect(readFileSync(join(out, A, `${nsu(4)}-resNFe-${chNFe(4)}.docZip`)).equals(docsA[3]!.gzip)).toBe(true);
    expect(text).toMatch(new RegExp(`^exported 7 documents to ${out}: 7 written, 0 unchanged, 1 raw`));
    expect(text).toContain(`  ${A}  5 written, 0 unchanged, 1 raw`);
    expect(text).toContain(`  ${B}  2 written, 0 unchanged\n`);
  });

  it('leaves no temporary file behind, and a second run changes nothing and says so', () => {
    const out = freshOut();
    runExport({ config: configFile, out });
    const first = files(out).map((f) => [f, readFileSync(join(out, f))] as const);
    expect(first.every(([f]) => f.endsWith('.xml') || f.endsWith('.docZip'))).toBe(true);
    const again = runExport({ config: configFile, out });
    expect(again).toMatch(/^exported 7 documents to .*: 0 written, 7 unchanged/);
    expect(files(out)).toEqual(first.map(([f]) => f));
    for (const [f, bytes] of first) expect(readFileSync(join(out, f)).equals(bytes)).toBe(true);
  });

  it('rewrites a file whose content differs from the stored document', () => {
    const out = freshOut();
    runExport({ config: configFile, out });
    const file = join(out, B, `${nsu(2)}-resNFe-${chNFe(22)}.xml`);
    writeFileSync(file, 'truncated');
    expect(runExport({ config: configFile, out })).toMatch(/: 1 written, 6 unchanged/);
    expect(readFileSync(file).equals(docsB[1]!.xml!)).toBe(true);
  });

  it('exports one company with --cnpj', () => {
    const out = freshOut();
    const text = runExport({ config: configFile, out, cnpj: B });
    expect(files(out)).toEqual([`${B}/${nsu(1)}-resNFe-${chNFe(21)}.xml`, `${B}/${nsu(2)}-resNFe-${chNFe(22)}.xml`]);
    expect(text).toMatch(/^exported 2 documents .*: 2 written, 0 unchanged/);
    expect(text).not.toContain(A);
  });

  it('exports nothing, without error, for a configured company with nothing stored yet', () => {
    const out = freshOut();
    expect(runExport({ config: configFile, out, cnpj: C })).toBe(`exported 0 documents to ${out}: 0 written, 0 unchanged\n  ${C}  0 written, 0 unchanged\n`);
  });
});

describe('export streaming', () => {
  it('writes each document before it reads the next, so none waits in memory', () => {
    const out = freshOut();
    const stored: StoredDocument[] = docsB.map((d, i) => ({
      id: i + 1, cnpj: B, NSU: d.NSU, kind: d.kind, schema: d.schema, chNFe: d.chNFe, gzip: d.gzip,
      decodeError: null, receivedAt: NOW, sourceOp: 'distNSU',
    }));
    const seen: string[][] = [];
    const store = {
      *iterateDocuments() {
        for (const d of stored) {
          seen.push(existsSync(join(out, B)) ? files(out) : []);
          yield d;
        }
      },
    } as unknown as Store<CompanyState>;
    expect(exportDocuments(store, out)).toMatchObject({ written: 2, unchanged: 0 });
    expect(seen).toEqual([[], [`${B}/${nsu(1)}-resNFe-${chNFe(21)}.xml`]]);
  });
});

describe('export command', () => {
  const exitCode = process.exitCode;
  let err: string[];
  let out: string[];
  afterEach(() => {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  });

  async function run(...args: string[]): Promise<void> {
    err = [];
    out = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const program = new Command();
    registerExportCommand(program);
    await program.parseAsync(['node', 'dfe-sync', 'export', ...args]);
  }

  it('prints the counts and exits 0', async () => {
    await run('--config', configFile, '--out', freshOut());
    expect(out.join('')).toMatch(/^exported 7 documents/);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('refuses an unknown --cnpj with a clear message and exit code 2, writing nothing', async () => {
    const target = freshOut();
    await run('--config', configFile, '--out', target, '--cnpj', UNKNOWN);
    expect(err.join('')).toBe(`dfe-sync: --cnpj ${UNKNOWN} is neither a company of ${configFile} nor stored in ${join(dir, 'state', 'dfe-sync.db')}\n`);
    expect(process.exitCode).toBe(2);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a --cnpj that is not a CNPJ with exit code 2', async () => {
    await run('--config', configFile, '--out', freshOut(), '--cnpj', '123');
    expect(err.join('')).toMatch(/^dfe-sync: --cnpj "123" is not a 14-digit CNPJ/);
    expect(process.exitCode).toBe(2);
  });

  it('fails with exit code 1 when the daemon has not run yet', async () => {
    const t = tempDir('export-empty');
    try {
      const file = writeConfig(t.dir, [{ cnpj: A }]);
      await run('--config', file, '--out', join(t.dir, 'out'));
      expect(err.join('')).toMatch(/^dfe-sync: no state database at .*: the daemon has not run yet/);
      expect(process.exitCode).toBe(1);
      expect(existsSync(join(t.dir, 'state'))).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});
