/**
 * Benchmark: documents per second from a 50-document retDistDFeInt answer to committed
 * rows (parseDistResponse + applyDistAnswer + Store.commitDistBatch), set beside a floor
 * measured in the same run: base64 + gunzip + one plain INSERT per document into a
 * minimal table with the store's pragmas (WAL, synchronous=FULL), one transaction per 50.
 * Both write to files in the same temp directory, in alternating rounds, each round on a
 * fresh database.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { applyDistAnswer, beginDistCall } from '../src/rules/engine.js';
import { DEFAULT_RULE_SETTINGS, MAX_DOCS_PER_BATCH, initialCompanyState, type CompanyState } from '../src/rules/state.js';
import { encodeDocZip } from '../src/sefaz/docZip.js';
import { formatNSU } from '../src/sefaz/identifiers.js';
import { parseDistResponse } from '../src/sefaz/response.js';
import { DocumentFactory, anText, type RetDist } from '../src/sim/index.js';
import { dhBrasilia } from '../src/sim/format.js';
import { renderDistResponse } from '../src/sim/soap.js';
import { openStore } from '../src/store/index.js';
import { benchDir, branchCnpj, median, type BenchReport } from './support.js';

export interface IngestOptions {
  /** Answers of 50 documents stored in a row per round. */
  batches: number;
  /** Rounds per variant (the median is reported). */
  rounds: number;
}

export interface IngestResult {
  documentsPerRound: number;
  /** Median documents/s of parse + applyDistAnswer + commitDistBatch. */
  oursDocsPerSec: number;
  /** The same plus the in-flight mark distStep persists before each call (a second transaction). */
  oursWithMarkDocsPerSec: number;
  /** Median documents/s of base64 + gunzip + INSERT. */
  floorDocsPerSec: number;
  /** oursDocsPerSec / floorDocsPerSec. */
  ratio: number;
  /** Of our path (without the mark), ms per 50-document answer in each stage, medians. */
  perAnswerMs: Stages;
  /** Bytes of one answer (the SOAP 1.2 body), the average over the batches. */
  answerBytes: number;
}

const CNPJ = branchCnpj('11222333', 1);

interface PreparedBatch {
  body: string;
  requestUltNSU: string;
  /** The docZips as sent, for the floor (which reads no XML). */
  docZips: { NSU: number; content: string }[];
}

/** `count` answers as the simulator sends them, with realistic documents at consecutive NSUs. */
function prepareBatches(count: number): PreparedBatch[] {
  const factory = new DocumentFactory({ recipient: CNPJ, seed: 11, tpAmb: '2' });
  const total = count * MAX_DOCS_PER_BATCH;
  const start = Date.UTC(2026, 9, 1);
  const batches: PreparedBatch[] = [];
  for (let b = 0; b < count; b++) {
    const first = b * MAX_DOCS_PER_BATCH + 1;
    const docZips = Array.from({ length: MAX_DOCS_PER_BATCH }, (_, i) => {
      const doc = factory.next(start + (first + i) * 60_000);
      return { NSU: first + i, schema: doc.schema, content: encodeDocZip(doc.xml) };
    });
    const last = first + MAX_DOCS_PER_BATCH - 1;
    const ret: RetDist = {
      tpAmb: '2',
      verAplic: '1.7.8',
      cStat: '138',
      xMotivo: anText('138'),
      dhResp: dhBrasilia(start + total * 60_000),
      ultNSU: formatNSU(String(last)),
      maxNSU: formatNSU(String(total)),
      docs: docZips.map((d) => ({ NSU: formatNSU(String(d.NSU)), schema: d.schema, content: d.content })),
    };
    batches.push({ body: renderDistResponse('1.2', ret), requestUltNSU: formatNSU(String(first - 1)), docZips });
  }
  return batches;
}

/** Where our time goes, ms summed over a round. */
interface Stages {
  parse: number;
  rules: number;
  store: number;
}

/** Our path, batch after batch on a fresh store; returns the ms it took and where they went. */
function runOurs(file: string, batches: readonly PreparedBatch[], markInFlight: boolean): { ms: number; stages: Stages } {
  const store = openStore<CompanyState>(file);
  try {
    store.upsertCompanies([{ cnpj: CNPJ, name: 'Bench', enabled: true, window: '24h', initialState: initialCompanyState() }]);
    let state = initialCompanyState();
    const stages: Stages = { parse: 0, rules: 0, store: 0 };
    const t0 = performance.now();
    for (const b of batches) {
      const ta = performance.now();
      const sentAt = Date.now();
      state = beginDistCall(state, b.requestUltNSU, sentAt);
      if (markInFlight) store.saveState(CNPJ, state);
      const tb = performance.now();
      const result = parseDistResponse(b.body);
      const tc = performance.now();
      const receivedAt = Date.now();
      const outcome = applyDistAnswer(
        state,
        { cStat: result.cStat, xMotivo: result.xMotivo, ultNSU: result.ultNSU, maxNSU: result.maxNSU, docs: result.docs.length, requestUltNSU: b.requestUltNSU },
        receivedAt,
        DEFAULT_RULE_SETTINGS,
        Math.random,
      );
      const td = performance.now();
      const committed = store.commitDistBatch(CNPJ, {
        docs: result.docs,
        state: outcome.state,
        call: {
          at: sentAt, op: 'distNSU', requestNSU: b.requestUltNSU, cStat: result.cStat, xMotivo: result.xMotivo,
          ultNSU: result.ultNSU, maxNSU: result.maxNSU, docs: result.docs.length, ms: receivedAt - sentAt, error: null,
        },
      });
      const te = performance.now();
      if (committed.inserted.length !== result.docs.length) throw new Error(`batch from ${b.requestUltNSU}: ${committed.duplicates} duplicates on a fresh store`);
      state = outcome.state;
      stages.parse += tc - tb;
      stages.rules += td - tc;
      stages.store += tb - ta + (te - td);
    }
    const ms = performance.now() - t0;
    const stored = store.countDocuments(CNPJ);
    const expected = batches.length * MAX_DOCS_PER_BATCH;
    if (stored !== expected) throw new Error(`stored ${stored} documents, expected ${expected}`);
    return { ms, stages };
  } finally {
    store.close();
  }
}

/** The floor: no XML, no rules, one plain INSERT per document; returns the ms it took. */
function runFloor(file: string, batches: readonly PreparedBatch[]): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE documents (NSU INTEGER PRIMARY KEY, xml_bytes INTEGER NOT NULL, gzip BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO documents (NSU, xml_bytes, gzip) VALUES (?, ?, ?)');
    const commit = db.transaction((rows: { NSU: number; size: number; gzip: Buffer }[]) => {
      for (const r of rows) insert.run(r.NSU, r.size, r.gzip);
    });
    const t0 = performance.now();
    for (const b of batches) {
      commit(
        b.docZips.map((d) => {
          const gzip = Buffer.from(d.content, 'base64');
          return { NSU: d.NSU, size: gunzipSync(gzip).length, gzip };
        }),
      );
    }
    const ms = performance.now() - t0;
    const stored = (db.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
    if (stored !== batches.length * MAX_DOCS_PER_BATCH) throw new Error(`floor stored ${stored} documents`);
    return ms;
  } finally {
    db.close();
  }
}

export function runIngest(opts: IngestOptions): IngestResult {
  const batches = prepareBatches(opts.batches);
  const dir = benchDir('ingest');
  const docs = batches.length * MAX_DOCS_PER_BATCH;
  const rate = (ms: number): number => (docs / ms) * 1000;
  const ours: number[] = [];
  const withMark: number[] = [];
  const floor: number[] = [];
  const stages: Stages[] = [];
  try {
    // Warm-up (JIT, page cache), not counted.
    const warm = batches.slice(0, Math.min(5, batches.length));
    runOurs(join(dir, 'warm-ours.db'), warm, true);
    runFloor(join(dir, 'warm-floor.db'), warm);
    for (let round = 0; round < opts.rounds; round++) {
      const o = runOurs(join(dir, `ours-${round}.db`), batches, false);
      ours.push(rate(o.ms));
      stages.push(o.stages);
      floor.push(rate(runFloor(join(dir, `floor-${round}.db`), batches)));
      withMark.push(rate(runOurs(join(dir, `mark-${round}.db`), batches, true).ms));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const oursDocsPerSec = median(ours);
  const floorDocsPerSec = median(floor);
  return {
    documentsPerRound: docs,
    oursDocsPerSec,
    oursWithMarkDocsPerSec: median(withMark),
    floorDocsPerSec,
    ratio: oursDocsPerSec / floorDocsPerSec,
    perAnswerMs: {
      parse: median(stages.map((x) => x.parse)) / batches.length,
      rules: median(stages.map((x) => x.rules)) / batches.length,
      store: median(stages.map((x) => x.store)) / batches.length,
    },
    answerBytes: Math.round(batches.reduce((n, b) => n + Buffer.byteLength(b.body), 0) / batches.length),
  };
}

export function ingestReport(r: IngestResult, opts: IngestOptions, command: string): BenchReport {
  return {
    bench: 'ingest',
    command,
    figures: [
      { name: 'ours: parse + applyDistAnswer + commitDistBatch', value: r.oursDocsPerSec, unit: 'documents/s', digits: 0 },
      { name: 'floor: base64 + gunzip + 1 INSERT/doc, 1 tx/50', value: r.floorDocsPerSec, unit: 'documents/s', digits: 0 },
      { name: 'ratio ours / floor', value: r.ratio, unit: '×', digits: 2 },
      { name: 'ours + in-flight mark (as distStep: 2 tx/answer)', value: r.oursWithMarkDocsPerSec, unit: 'documents/s', digits: 0 },
      { name: 'ours per answer: parseDistResponse', value: r.perAnswerMs.parse, unit: 'ms', digits: 2 },
      { name: 'ours per answer: applyDistAnswer', value: r.perAnswerMs.rules, unit: 'ms', digits: 3 },
      { name: 'ours per answer: commitDistBatch', value: r.perAnswerMs.store, unit: 'ms', digits: 2 },
    ],
    notes: [
      `${opts.rounds} alternating rounds of ${opts.batches} answers × 50 documents (${r.documentsPerRound} documents) each on a fresh database, median`,
      `answers of ${r.answerBytes} bytes on average (SOAP 1.2, DocumentFactory documents, gzip + base64); WAL, synchronous=FULL, in ${tmpdir()}`,
    ],
  };
}
