import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/log/logger.js';
import { cnpjCheckDigits } from '../src/sefaz/identifiers.js';

/** One printed number: what it is, its value and its unit. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** How many decimals to print (default 1). */
  digits?: number;
}

/** What a benchmark hands the runner: its figures and the command that reproduces them. */
export interface BenchReport {
  bench: string;
  command: string;
  figures: Figure[];
  /** Conditions the figures depend on (sizes, file system, limits). */
  notes: string[];
}

export function formatFigure(f: Figure): string {
  return `${f.value.toFixed(f.digits ?? 1)} ${f.unit}`;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function benchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `dfe-sync-bench-${name}-`));
}

/**
 * The daemon's JSON log lines, serialized as in production (pino, redaction) but thrown
 * away: a benchmark measures the work of logging, not a terminal's speed.
 */
export function discardLogger(): Logger {
  return createLogger({ level: 'info', destination: new Writable({ write: (_chunk, _enc, cb) => cb() }) });
}

/** A valid CNPJ of branch `branch` (1..9999) of the company with CNPJ base `base8`. */
export function branchCnpj(base8: string, branch: number): string {
  const base12 = base8 + String(branch).padStart(4, '0');
  return base12 + cnpjCheckDigits(base12);
}

export interface BenchCompany {
  cnpj: string;
  pfx: string;
  passwordFile: string;
}

/** A config file whose companies all sync against `distUrl` (the simulator), all day. */
export function writeBenchConfig(file: string, o: { stateDir: string; distUrl: string; caFile: string; companies: readonly BenchCompany[] }): string {
  const lines = [
    'environment: homologation',
    `stateDir: ${JSON.stringify(o.stateDir)}`,
    'companies:',
    ...o.companies.map(
      (c) =>
        `  - { cnpj: "${c.cnpj}", name: "Company ${c.cnpj}", uf: SP, window: "24h", ` +
        `certificate: { pfx: ${JSON.stringify(c.pfx)}, passwordFile: ${JSON.stringify(c.passwordFile)} } }`,
    ),
    'sefaz:',
    `  urls: { distribuicao: ${JSON.stringify(o.distUrl)} }`,
    `  caFile: ${JSON.stringify(o.caFile)}`,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface MemoryFigures {
  rssMiB: number;
  heapUsedMiB: number;
  /** What V8 keeps reserved for its heap: RSS above heapUsed is mostly this. */
  heapTotalMiB: number;
}

const MiB = 1024 * 1024;

/** This process's memory, after a full collection when node runs with --expose-gc. */
export function memoryNow(): MemoryFigures {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB, heapTotalMiB: m.heapTotal / MiB };
}

/** The highest RSS this process has had, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
