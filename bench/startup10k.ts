/**
 * Benchmark: start-up time and RSS with many configured CNPJs (10,000 by default), then
 * one pass in which each makes its first distNSU (answered 137 by the simulator).
 * The companies are branches of a CNPJ base (9,999 per base, so 10,000 takes two) sharing
 * their head office's .pfx: the daemon caches certificates per file, so this measures the
 * scheduling, the store and the logs, not 10,000 RSA key decodes (~14 ms each, lazily, on
 * each company's first call, in real deployments).
 *
 * The daemon runs in a child process (startupChild.ts) so that its memory is its own;
 * the simulator runs here, in the benchmark's process, on the wall clock.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureTestMaterial } from '../src/cert/testMaterial.js';
import { SefazSimulator } from '../src/sim/index.js';
import { measureStartup, type StartupFigures } from './startupChild.js';
import { benchDir, branchCnpj, formatFigure, writeBenchConfig, type BenchReport } from './support.js';

export interface StartupOptions {
  companies: number;
  /** 'process': the daemon in a child process (the figures); 'inline': in this one (smoke test, no build needed). */
  child: 'process' | 'inline';
}

export interface StartupResult extends StartupFigures {
  /** distNSU calls the simulator answered 137. */
  simCalls137: number;
  simViolations: number;
  /** The command the child ran (for the report). */
  childCommand: string;
}

const FIRST_BASE = 33_444_555;
const MAX_BRANCHES = 9999;

const CHILD_SCRIPT = fileURLToPath(new URL('./startupChild.js', import.meta.url));

async function inChild(configFile: string): Promise<StartupFigures> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD_SCRIPT, configFile], { maxBuffer: 16 * 1024 * 1024 });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as StartupFigures;
}

/** Branches 0001..9999 of consecutive CNPJ bases, 9,999 per base; branch 0001 is each base's head office. */
export function companyCnpjs(count: number): string[] {
  return Array.from({ length: count }, (_, i) => branchCnpj(String(FIRST_BASE + Math.floor(i / MAX_BRANCHES)), (i % MAX_BRANCHES) + 1));
}

export async function runStartup(opts: StartupOptions): Promise<StartupResult> {
  if (!Number.isInteger(opts.companies) || opts.companies < 1) throw new RangeError('companies must be a positive integer');
  const dir = benchDir('startup');
  const tlsDir = join(dir, 'tls');
  const cnpjs = companyCnpjs(opts.companies);
  const headOffices = cnpjs.filter((_, i) => i % MAX_BRANCHES === 0);
  const material = ensureTestMaterial(tlsDir, headOffices);
  const sim = new SefazSimulator({ tlsDir, seed: 3 });
  for (const cnpj of cnpjs) sim.addCompany(cnpj, { documents: 0 });
  await sim.start();
  try {
    const configFile = writeBenchConfig(join(dir, 'config.yaml'), {
      stateDir: join(dir, 'state'),
      distUrl: sim.distUrl,
      caFile: material.caCert,
      companies: cnpjs.map((cnpj, i) => {
        const client = material.clients[Math.floor(i / MAX_BRANCHES)]!;
        return { cnpj, pfx: client.pfx, passwordFile: client.passwordFile };
      }),
    });
    const figures = opts.child === 'process' ? await inChild(configFile) : await measureStartup(configFile);
    const calls = sim.calls().filter((c) => c.op === 'distNSU');
    return {
      ...figures,
      simCalls137: calls.filter((c) => c.cStat === '137').length,
      simViolations: sim.violations().length,
      childCommand: opts.child === 'process' ? `node --expose-gc dist/bench/startupChild.js CONFIG (${opts.companies} companies)` : 'in-process',
    };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startupReport(r: StartupResult, command: string): BenchReport {
  const n = r.companies;
  const figures = [
    { name: `start-up: loadConfig + openRuntime + Daemon.start (${n} CNPJs)`, value: r.startupMs, unit: 'ms', digits: 0 },
    { name: 'of which loadConfig', value: r.loadConfigMs, unit: 'ms', digits: 0 },
    { name: 'process start → every company scheduled', value: r.sinceProcessStartMs, unit: 'ms', digits: 0 },
    { name: 'RSS before loadConfig (node + modules)', value: r.baseline.rssMiB, unit: 'MiB' },
    { name: 'RSS after loadConfig', value: r.afterLoadConfig.rssMiB, unit: 'MiB' },
    { name: 'RSS after start-up', value: r.afterStartup.rssMiB, unit: 'MiB' },
    { name: 'V8 heap used after start-up', value: r.afterStartup.heapUsedMiB, unit: 'MiB' },
    { name: 'V8 heap reserved after start-up', value: r.afterStartup.heapTotalMiB, unit: 'MiB' },
    { name: `first pass: ${n} first distNSU (137), Daemon.start → all answered`, value: r.passMs, unit: 'ms', digits: 0 },
    { name: 'time from nothing to first pass complete', value: r.startupMs + r.passMs, unit: 'ms', digits: 0 },
    { name: `first pass calls/s (maxInFlight ${r.maxInFlight})`, value: (r.simCalls137 / r.passMs) * 1000, unit: 'calls/s', digits: 0 },
    { name: 'RSS after the first pass', value: r.afterPass.rssMiB, unit: 'MiB' },
    { name: 'peak RSS', value: r.peakRssMiB, unit: 'MiB' },
    { name: 'companies answered 137 and waiting the hour', value: r.answered137, unit: 'companies', digits: 0 },
    { name: 'simulator: distNSU answered 137', value: r.simCalls137, unit: 'calls', digits: 0 },
    { name: 'simulator: rule violations', value: r.simViolations, unit: 'violations', digits: 0 },
  ];
  return {
    bench: 'startup-10k',
    command: `${command}  →  ${r.childCommand}`,
    figures,
    notes: [
      `${n} CNPJs: branches of ${Math.ceil(n / MAX_BRANCHES)} CNPJ base(s), one .pfx per base shared by its branches, fresh state directory; the daemon alone in the child (${r.gcExposed ? 'RSS after a full GC' : 'no --expose-gc: RSS without a forced GC'}), the simulator in the benchmark's process`,
      `per call: certificate check, in-flight mark, answer committed, one JSON log line (discarded); ${formatFigure({ name: '', value: r.passMs / Math.max(1, r.simCalls137), unit: 'ms', digits: 2 })} per call at ${r.maxInFlight} in flight`,
    ],
  };
}
