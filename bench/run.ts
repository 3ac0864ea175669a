/**
 * The benchmarks (`npm run bench`): figures to read, never assertions on time. Ratios are
 * measured within one run, side by side, because the machine may be shared and noisy.
 *
 *   node dist/bench/run.js [--only NAME]... [--quick]
 *
 * NAME: ingest, calls-per-1000, startup-10k, transport (--only takes a comma list too).
 * --quick: small sizes, to check that everything runs.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DfeSyncError } from '../src/errors.js';
import { callsReport, runCallsPer1000 } from './callsPer1000.js';
import { ingestReport, runIngest, type IngestOptions } from './ingest.js';
import { runStartup, startupReport } from './startup10k.js';
import { formatFigure, type BenchReport } from './support.js';
import { main as transportMain, type TransportBenchResult } from './transport.js';

export const BENCHMARKS = ['ingest', 'calls-per-1000', 'startup-10k', 'transport'] as const;
export type BenchName = (typeof BENCHMARKS)[number];

export interface RunOptions {
  only: BenchName[];
  quick: boolean;
}

export interface Sizes {
  ingest: IngestOptions;
  drains: number[];
  companies: number;
  /** bench/transport.ts arguments: calls per round, rounds. */
  transport: [string, string];
}

export function sizesFor(quick: boolean): Sizes {
  return quick
    ? { ingest: { batches: 10, rounds: 3 }, drains: [1000], companies: 1000, transport: ['20', '2'] }
    : { ingest: { batches: 60, rounds: 7 }, drains: [1000, 2500, 5000], companies: 10_000, transport: ['200', '5'] };
}

export class BenchUsageError extends DfeSyncError {
  constructor(message: string) {
    super('BENCH_USAGE', message);
  }
}

export function parseRunArgs(argv: readonly string[]): RunOptions {
  let values: { only?: string[]; quick?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { only: { type: 'string', multiple: true }, quick: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new BenchUsageError(`${(err as Error).message}\nusage: node dist/bench/run.js [--only ${BENCHMARKS.join('|')}]... [--quick]`);
  }
  const names = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const unknown = names.filter((n) => !(BENCHMARKS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new BenchUsageError(`unknown benchmark ${unknown.join(', ')}: choose from ${BENCHMARKS.join(', ')}`);
  const only = names.length === 0 ? [...BENCHMARKS] : BENCHMARKS.filter((b) => names.includes(b));
  return { only, quick: values.quick ?? false };
}

function transportReport(results: readonly TransportBenchResult[], args: [string, string], command: string): BenchReport {
  return {
    bench: 'transport',
    command: `${command}  (= node dist/bench/transport.js ${args.join(' ')})`,
    figures: results.flatMap((r) => [
      { name: `${r.payload}: SoapTransport`, value: r.oursMsPerCall, unit: 'ms/call', digits: 3 },
      { name: `${r.payload}: soap library`, value: r.soapMsPerCall, unit: 'ms/call', digits: 3 },
      { name: `${r.payload}: ratio soap / ours`, value: r.ratio, unit: '×', digits: 2 },
    ]),
    notes: [`${args[1]} alternating rounds × ${args[0]} sequential calls per client, loopback mutual TLS, median`],
  };
}

async function runOne(name: BenchName, sizes: Sizes, command: string): Promise<BenchReport> {
  switch (name) {
    case 'ingest':
      return ingestReport(runIngest(sizes.ingest), sizes.ingest, command);
    case 'calls-per-1000':
      return callsReport(await runCallsPer1000(sizes.drains), command);
    case 'startup-10k':
      return startupReport(await runStartup({ companies: sizes.companies, child: 'process' }), command);
    case 'transport':
      return transportReport(await transportMain(sizes.transport), sizes.transport, command);
  }
}

/** The figures as one table, each benchmark under the command that produced it. */
export function renderTable(reports: readonly BenchReport[]): string {
  const rows = reports.flatMap((r) => r.figures.map((f) => ({ name: f.name, value: formatFigure(f) })));
  const nameWidth = Math.max(6, ...rows.map((r) => r.name.length));
  const valueWidth = Math.max(5, ...rows.map((r) => r.value.length));
  const lines: string[] = [];
  for (const r of reports) {
    lines.push('', `## ${r.bench}    $ ${r.command}`);
    for (const note of r.notes) lines.push(`   (${note})`);
    for (const f of r.figures) lines.push(`   ${f.name.padEnd(nameWidth)}  ${formatFigure(f).padStart(valueWidth)}`);
  }
  return lines.join('\n');
}

export async function runBenchmarks(opts: RunOptions, out: (line: string) => void = console.log): Promise<{ reports: BenchReport[]; failed: string[] }> {
  const sizes = sizesFor(opts.quick);
  const reports: BenchReport[] = [];
  const failed: string[] = [];
  out(`dfe-sync benchmarks${opts.quick ? ' (--quick sizes)' : ''}: node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const name of opts.only) {
    const command = `node dist/bench/run.js --only ${name}${opts.quick ? ' --quick' : ''}`;
    out(`\n-- ${name}: ${command}`);
    const t0 = performance.now();
    try {
      reports.push(await runOne(name, sizes, command));
      out(`-- ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed.push(name);
      out(`-- ${name} FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  out(renderTable(reports));
  if (failed.length > 0) out(`\nfailed: ${failed.join(', ')}`);
  return { reports, failed };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  (async () => {
    const { failed } = await runBenchmarks(parseRunArgs(process.argv.slice(2)));
    process.exitCode = failed.length > 0 ? 1 : 0;
  })().catch((err: unknown) => {
    console.error(err instanceof BenchUsageError ? err.message : err);
    process.exitCode = 2;
  });
}
