/**
 * The measured side of the startup-10k benchmark, run in its own process so that the
 * memory figures are the daemon's alone (the simulator runs in the parent):
 *
 *   node --expose-gc dist/bench/startupChild.js CONFIG
 *
 * prints one JSON line (StartupFigures). From nothing to "every company scheduled"
 * (loadConfig + openRuntime + Daemon.start, manual timers), then one pass in which every
 * company makes its first distNSU.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ManualClock } from '../src/clock.js';
import { loadConfig } from '../src/config/index.js';
import { Daemon } from '../src/daemon/daemon.js';
import { LeaseKeeper } from '../src/daemon/leases.js';
import { openRuntime } from '../src/daemon/runtime.js';
import { discardLogger, memoryNow, peakRssMiB, type MemoryFigures } from './support.js';

export interface StartupFigures {
  companies: number;
  maxInFlight: number;
  /** After the modules are loaded, before loadConfig. */
  baseline: MemoryFigures;
  /** loadConfig + openRuntime + Daemon.start (the measuring pauses left out). */
  startupMs: number;
  /** Of which loadConfig (read, YAML, validation). */
  loadConfigMs: number;
  /** From this process's start (node, module loading) to every company scheduled. */
  sinceProcessStartMs: number;
  afterLoadConfig: MemoryFigures;
  afterStartup: MemoryFigures;
  /** From Daemon.start returning to every company's first answer committed. */
  passMs: number;
  /** Companies whose last call was a distNSU answered 137 and that now wait for the hour. */
  answered137: number;
  afterPass: MemoryFigures;
  peakRssMiB: number;
  gcExposed: boolean;
}

export async function measureStartup(configFile: string): Promise<StartupFigures> {
  const baseline = memoryNow();
  const t0 = performance.now();
  const config = loadConfig(configFile);
  const loadConfigMs = performance.now() - t0;
  const afterLoadConfig = memoryNow();
  const t1 = performance.now();
  const clock = new ManualClock(Date.now());
  const logger = discardLogger();
  const runtime = openRuntime(config, { clock, logger, random: Math.random });
  try {
    const leases = new LeaseKeeper(runtime.ctx.store, logger);
    const daemon = new Daemon(runtime.ctx, { maxInFlight: config.daemon.maxInFlight, leases, timers: 'manual' });
    daemon.start();
    const scheduledAt = performance.now();
    const paused = t1 - t0 - loadConfigMs;
    const afterStartup = memoryNow();

    const passStart = performance.now();
    await daemon.runDue();
    const passMs = performance.now() - passStart;
    const afterPass = memoryNow();
    await daemon.stop();

    const answered137 = runtime.ctx.store
      .listCompanies()
      .filter((c) => c.lastCall?.op === 'distNSU' && c.lastCall.cStat === '137' && c.nextDistAt !== null && c.nextDistAt > clock.now()).length;
    return {
      companies: config.companies.length,
      maxInFlight: config.daemon.maxInFlight,
      baseline,
      startupMs: scheduledAt - t0 - paused,
      loadConfigMs,
      sinceProcessStartMs: scheduledAt - paused,
      afterLoadConfig,
      afterStartup,
      passMs,
      answered137,
      afterPass,
      peakRssMiB: peakRssMiB(),
      gcExposed: typeof globalThis.gc === 'function',
    };
  } finally {
    runtime.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: node --expose-gc dist/bench/startupChild.js CONFIG');
    process.exitCode = 2;
  } else {
    measureStartup(file).then(
      (figures) => console.log(JSON.stringify(figures)),
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  }
}
