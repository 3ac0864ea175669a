/**
 * Benchmark: distNSU calls the daemon makes to drain a backlog, counted by the simulator.
 * One CNPJ holding N documents; the daemon (manual timers, a clock that only moves when
 * told) works until the company waits. The minimum is ceil(N / 50): the answer carrying
 * the last documents already says ultNSU == maxNSU, so no further call is needed.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureTestMaterial } from '../src/cert/testMaterial.js';
import { ManualClock } from '../src/clock.js';
import { loadConfig } from '../src/config/index.js';
import { Daemon } from '../src/daemon/daemon.js';
import { LeaseKeeper } from '../src/daemon/leases.js';
import { openRuntime } from '../src/daemon/runtime.js';
import { MAX_DOCS_PER_BATCH } from '../src/rules/state.js';
import { SefazSimulator } from '../src/sim/index.js';
import { benchDir, branchCnpj, discardLogger, writeBenchConfig, type BenchReport } from './support.js';

export interface DrainResult {
  documents: number;
  /** distNSU calls the simulator saw. */
  calls: number;
  /** ceil(documents / 50). */
  minimum: number;
  /** calls × 1000 / documents. */
  callsPer1000: number;
  /** Rule violations the simulator counted (must be 0). */
  violations: number;
  stored: number;
  /** Wall time of the drain, against the simulator over loopback mutual TLS. */
  ms: number;
}

const CNPJ = branchCnpj('22333444', 1);

export async function runDrain(documents: number, tlsDir: string): Promise<DrainResult> {
  const dir = benchDir('calls');
  const clock = new ManualClock(Date.now());
  const sim = new SefazSimulator({ tlsDir, clock, seed: 7 });
  sim.addCompany(CNPJ, { documents });
  await sim.start();
  try {
    const config = loadConfig(
      writeBenchConfig(join(dir, 'config.yaml'), {
        stateDir: join(dir, 'state'),
        distUrl: sim.distUrl,
        caFile: join(tlsDir, 'ca.pem'),
        companies: [{ cnpj: CNPJ, pfx: join(tlsDir, `${CNPJ}.pfx`), passwordFile: join(tlsDir, `${CNPJ}.pass`) }],
      }),
    );
    const logger = discardLogger();
    const runtime = openRuntime(config, { clock, logger, random: () => 0.5 });
    try {
      const daemon = new Daemon(runtime.ctx, { maxInFlight: config.daemon.maxInFlight, leases: new LeaseKeeper(runtime.ctx.store, logger), timers: 'manual' });
      const t0 = performance.now();
      daemon.start();
      await daemon.runDue();
      const ms = performance.now() - t0;
      const next = daemon.nextWakeAt();
      await daemon.stop();
      if (next === null || next <= clock.now()) throw new Error(`the daemon is not waiting after the drain (next wake ${String(next)})`);
      const calls = sim.calls().filter((c) => c.cnpj === CNPJ && c.op === 'distNSU').length;
      return {
        documents,
        calls,
        minimum: Math.ceil(documents / MAX_DOCS_PER_BATCH),
        callsPer1000: documents === 0 ? calls : (calls * 1000) / documents,
        violations: sim.violations().length,
        stored: runtime.ctx.store.countDocuments(CNPJ),
        ms,
      };
    } finally {
      runtime.close();
    }
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCallsPer1000(sizes: readonly number[]): Promise<DrainResult[]> {
  const tls = benchDir('calls-tls');
  try {
    ensureTestMaterial(tls, [CNPJ]);
    const results: DrainResult[] = [];
    for (const n of sizes) results.push(await runDrain(n, tls));
    return results;
  } finally {
    rmSync(tls, { recursive: true, force: true });
  }
}

export function callsReport(results: readonly DrainResult[], command: string): BenchReport {
  return {
    bench: 'calls-per-1000',
    command,
    figures: results.flatMap((r) => [
      { name: `${r.documents} documents: distNSU calls (minimum ${r.minimum})`, value: r.calls, unit: 'calls', digits: 0 },
      { name: `${r.documents} documents: calls per 1,000 documents`, value: r.callsPer1000, unit: 'calls/1000 docs', digits: 1 },
      { name: `${r.documents} documents: simulator rule violations`, value: r.violations, unit: 'violations', digits: 0 },
      { name: `${r.documents} documents: documents stored`, value: r.stored, unit: 'documents', digits: 0 },
      { name: `${r.documents} documents: drain wall time`, value: r.ms, unit: 'ms', digits: 0 },
    ]),
    notes: ['one CNPJ, the daemon with manual timers against the simulator (loopback mutual TLS), run until the company waits'],
  };
}
