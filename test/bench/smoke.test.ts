import { describe, expect, it } from 'vitest';
import { runCallsPer1000 } from '../../bench/callsPer1000.js';
import { ingestReport, runIngest } from '../../bench/ingest.js';
import { BENCHMARKS, BenchUsageError, parseRunArgs, renderTable } from '../../bench/run.js';
import { companyCnpjs, runStartup, startupReport } from '../../bench/startup10k.js';
import { main as transportMain } from '../../bench/transport.js';
import { cnpjBase, isValidCnpj } from '../../src/sefaz/identifiers.js';

// Each benchmark run with tiny sizes: it works and counts what it claims to count.
// Nothing here looks at how fast anything was.
describe('benchmarks (smoke, tiny sizes, no timing)', () => {
  it('ingest stores every document of each answer, through our path and through the floor', () => {
    const r = runIngest({ batches: 2, rounds: 1 });
    expect(r.documentsPerRound).toBe(100);
    for (const rate of [r.oursDocsPerSec, r.oursWithMarkDocsPerSec, r.floorDocsPerSec]) expect(rate).toBeGreaterThan(0);
    expect(r.ratio).toBeCloseTo(r.oursDocsPerSec / r.floorDocsPerSec, 10);
    expect(r.answerBytes).toBeGreaterThan(50 * 500);
    const report = ingestReport(r, { batches: 2, rounds: 1 }, 'cmd');
    expect(report.figures.find((f) => f.name.startsWith('ratio'))?.value).toBe(r.ratio);
  });

  it('calls-per-1000 drains a backlog in ceil(N/50) distNSU with no violation', async () => {
    const [r] = await runCallsPer1000([120]);
    expect(r).toMatchObject({ documents: 120, calls: 3, minimum: 3, violations: 0, stored: 120 });
    expect(r!.callsPer1000).toBeCloseTo(25, 10);
  });

  it('startup: every configured branch makes its first distNSU, answered 137, and waits the hour', async () => {
    const r = await runStartup({ companies: 3, child: 'inline' });
    expect(r).toMatchObject({ companies: 3, answered137: 3, simCalls137: 3, simViolations: 0 });
    const report = startupReport(r, 'cmd');
    expect(report.figures.find((f) => f.name === 'simulator: rule violations')?.value).toBe(0);
  });

  it('startup companies: valid, distinct CNPJs, at most 9,999 branches per base', () => {
    const cnpjs = companyCnpjs(10_000);
    expect(new Set(cnpjs).size).toBe(10_000);
    expect(cnpjs.every(isValidCnpj)).toBe(true);
    const bases = new Map<string, number>();
    for (const c of cnpjs) bases.set(cnpjBase(c), (bases.get(cnpjBase(c)) ?? 0) + 1);
    expect([...bases.values()]).toEqual([9999, 1]);
  });

  it('transport runs both clients on both payloads', async () => {
    const results = await transportMain(['2', '1']);
    expect(results.map((r) => r.payload)).toEqual(['137, no documents', '138, 50 docZips']);
    for (const r of results) expect(r.oursMsPerCall).toBeGreaterThan(0);
  });

  it('the runner takes --only (repeated or comma list) and --quick, and refuses unknown names', () => {
    expect(parseRunArgs([])).toEqual({ only: [...BENCHMARKS], quick: false });
    expect(parseRunArgs(['--only', 'transport,ingest', '--quick'])).toEqual({ only: ['ingest', 'transport'], quick: true });
    expect(parseRunArgs(['--only', 'startup-10k', '--only', 'calls-per-1000']).only).toEqual(['calls-per-1000', 'startup-10k']);
    expect(() => parseRunArgs(['--only', 'nope'])).toThrow(BenchUsageError);
    expect(() => parseRunArgs(['--fast'])).toThrow(BenchUsageError);
    const table = renderTable([{ bench: 'ingest', command: 'node dist/bench/run.js --only ingest', figures: [{ name: 'x', value: 1234.5, unit: 'documents/s', digits: 0 }], notes: [] }]);
    expect(table).toContain('$ node dist/bench/run.js --only ingest');
    expect(table).toContain('1235 documents/s');
  });
});
