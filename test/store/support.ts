import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import { afterEach, beforeEach } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { DistDocument, DocKind } from '../../src/sefaz/types.js';
import { openStore, type CallRecord, type RuleStateColumns, type Store } from '../../src/store/index.js';
import { projectRoot } from '../helpers/reference.js';

export type TestState = RuleStateColumns & { note?: string };

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TempStore<S extends RuleStateColumns> {
  store: Store<S>;
  file: string;
  clock: ManualClock;
  /** Closes the store and opens its file again, as a restart does. */
  reopen(): void;
}

/**
 * Each test of the file gets a new store on a ManualClock in a new temporary directory,
 * `seed`ed, and closed and removed after the test. The fields are set by the time a test runs.
 */
export function useTempStore<S extends RuleStateColumns>(seed: (store: Store<S>) => void = () => {}): TempStore<S> {
  let cleanup = (): void => {};
  const fixture: TempStore<S> = {
    store: undefined as unknown as Store<S>,
    file: '',
    clock: new ManualClock(),
    reopen() {
      fixture.store.close();
      fixture.store = openStore<S>(fixture.file, { clock: fixture.clock });
    },
  };
  beforeEach(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    fixture.file = join(t.dir, 'state.db');
    fixture.clock = new ManualClock();
    fixture.store = openStore<S>(fixture.file, { clock: fixture.clock });
    seed(fixture.store);
  });
  afterEach(() => {
    fixture.store.close();
    cleanup();
  });
  return fixture;
}

export function nsu(n: number): string {
  return String(n).padStart(15, '0');
}

export function state(ultNSU: number | null, maxNSU: number | null, extra: Partial<TestState> = {}): TestState {
  return {
    ultNSU: ultNSU === null ? null : nsu(ultNSU),
    maxNSU: maxNSU === null ? null : nsu(maxNSU),
    nextDistAt: null,
    blockedUntil: null,
    stopped: null,
    ...extra,
  };
}

export function company(cnpj: string, initial: TestState = state(null, null)) {
  return { cnpj, name: `Company ${cnpj}`, enabled: true, window: '24h', initialState: initial };
}

export function doc(NSU: number | null, options: { kind?: DocKind; chNFe?: string; tpEvento?: string; nSeqEvento?: string } = {}): DistDocument {
  const kind = options.kind ?? 'resNFe';
  const chNFe = options.chNFe ?? `3526111234567800019555001${String(NSU ?? 0).padStart(9, '0')}1234567890`;
  const xml = Buffer.from(`<${kind} versao="1.01"><chNFe>${chNFe}</chNFe><NSU>${NSU}</NSU></${kind}>`);
  return {
    NSU: NSU === null ? null : nsu(NSU),
    schema: `${kind}_v1.01.xsd`,
    kind,
    chNFe,
    xml,
    gzip: gzipSync(xml),
    decodeError: null,
    meta: {
      emitterCNPJ: '12345678000195',
      emitterName: 'ACME',
      dhEmi: '2026-11-20T10:00:00-03:00',
      vNF: '10.00',
      ...(options.tpEvento === undefined ? {} : { tpEvento: options.tpEvento }),
      ...(options.nSeqEvento === undefined ? {} : { nSeqEvento: options.nSeqEvento }),
    },
  };
}

export function distCall(at: number, requestNSU: number, docs: number, extra: Partial<CallRecord> = {}): CallRecord {
  return { at, op: 'distNSU', requestNSU: nsu(requestNSU), cStat: docs > 0 ? '138' : '137', xMotivo: docs > 0 ? 'Documento localizado' : 'Nenhum documento localizado', docs, ms: 12, ...extra };
}

const RELATIVE_IMPORT = /(?:from\s+|import\s*\()\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g;

/**
 * Node 20 cannot run TypeScript: transpile `entry` and every module it reaches by
 * relative import into a temporary tree laid out like the project (node_modules linked),
 * and return the path of the compiled entry. Type errors are tsc's job, not this one's.
 */
export function compileForNode(entry: string, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  symlinkSync(join(projectRoot, 'node_modules'), join(outDir, 'node_modules'));
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}');
  const pending = [resolve(entry)];
  const done = new Set<string>();
  while (pending.length > 0) {
    const source = pending.pop()!;
    if (done.has(source)) continue;
    done.add(source);
    const text = readFileSync(source, 'utf8');
    const output = ts.transpileModule(text, {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    const target = join(outDir, relative(projectRoot, source)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
    for (const match of text.matchAll(RELATIVE_IMPORT)) pending.push(resolve(dirname(source), `${match[1]}.ts`));
  }
  return join(outDir, relative(projectRoot, resolve(entry))).replace(/\.ts$/, '.js');
}
