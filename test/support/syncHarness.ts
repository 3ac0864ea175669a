import { afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ensureTestMaterial } from '../../src/cert/testMaterial.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { LeaseKeeper } from '../../src/daemon/leases.js';
import { openRuntime, type Runtime } from '../../src/daemon/runtime.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { SefazSimulator } from '../../src/sim/index.js';
import { DIST_PATH, EVENT_PATH } from '../../src/sefaz/endpoints.js';

export interface HarnessCompany {
  cnpj: string;
  documents?: number;
  window?: string;
  /** the CNPJ whose certificate it uses (a branch uses its head office's); default its own */
  certificateOf?: string;
  manifest?: 'ciencia' | 'off';
  targetedPerHour?: number;
  /** YAML flow mapping, e.g. "{ calls: 5, suspend: true }" */
  monthlyLimit?: string;
}

/** Log lines kept in memory, parsed. */
export function memoryLogger(level: 'info' | 'debug' | 'warn' = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

/** A config file for `companies` pointing at the simulator, with the test material in tlsDir. */
export function writeConfig(dir: string, tlsDir: string, distUrl: string, companies: HarnessCompany[], extra = ''): string {
  const file = join(dir, 'config.yaml');
  const lines = [
    'environment: homologation',
    `stateDir: ${join(dir, 'state')}`,
    'companies:',
    ...companies.flatMap((c) => [
      `  - cnpj: "${c.cnpj}"`,
      `    name: Company ${c.cnpj}`,
      '    uf: SP',
      `    certificate: { pfx: ${join(tlsDir, `${c.certificateOf ?? c.cnpj}.pfx`)}, passwordFile: ${join(tlsDir, `${c.certificateOf ?? c.cnpj}.pass`)} }`,
      `    window: ${(c.window ?? '24h').startsWith('[') ? c.window : JSON.stringify(c.window ?? '24h')}`,
      ...(c.manifest === undefined ? [] : [`    manifest: ${c.manifest}`]),
      ...(c.targetedPerHour === undefined ? [] : [`    targetedPerHour: ${c.targetedPerHour}`]),
      ...(c.monthlyLimit === undefined ? [] : [`    monthlyLimit: ${c.monthlyLimit}`]),
    ]),
    'sefaz:',
    `  urls: { distribuicao: "${distUrl}", recepcaoEvento: "${distUrl.replace(DIST_PATH, EVENT_PATH)}" }`,
    `  caFile: ${join(tlsDir, 'ca.pem')}`,
    '  timeoutSeconds: 5',
    '  connectTimeoutSeconds: 5',
    'http: { listen: "127.0.0.1:0" }',
    extra,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * The simulator and the daemon in one process on one clock. With timers 'manual' the
 * test drives time: runDue() works everything due, then the clock jumps to the next
 * deadline (discrete events), so hours of SEFAZ rules take milliseconds.
 */
export class SyncHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'dfe-sync-'));
  readonly tlsDir = join(this.dir, 'tls');
  readonly sim: SefazSimulator;
  config!: Config;
  runtime!: Runtime;
  daemon!: Daemon;
  readonly log = memoryLogger();

  constructor(
    readonly clock: Clock & { set(ms: number): void },
    private readonly companies: HarnessCompany[],
    private readonly extraConfig = '',
  ) {
    ensureTestMaterial(this.tlsDir, [...new Set(companies.map((c) => c.certificateOf ?? c.cnpj))]);
    this.sim = new SefazSimulator({ tlsDir: this.tlsDir, clock, seed: 7 });
    for (const c of companies) this.sim.addCompany(c.cnpj, { documents: c.documents ?? 0 });
  }

  async start(): Promise<void> {
    await this.sim.start();
    const file = writeConfig(this.dir, this.tlsDir, this.sim.distUrl, this.companies, this.extraConfig);
    this.config = loadConfig(file);
    this.runtime = openRuntime(this.config, { clock: this.clock, logger: this.log.logger, random: () => 0.5 });
    this.daemon = new Daemon(this.runtime.ctx, {
      maxInFlight: this.config.daemon.maxInFlight,
      leases: new LeaseKeeper(this.runtime.ctx.store, this.log.logger),
      timers: 'manual',
    });
    this.daemon.start();
  }

  /** Works all that is due, then jumps to the next deadline, until `until`. */
  async runUntil(until: number, between?: (now: number) => void): Promise<void> {
    for (;;) {
      await this.daemon.runDue();
      const next = this.daemon.nextWakeAt();
      if (next === null || next > until) {
        this.clock.set(until);
        await this.daemon.runDue();
        return;
      }
      this.clock.set(Math.max(next, this.clock.now()));
      between?.(this.clock.now());
    }
  }

  get store() {
    return this.runtime.ctx.store;
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
    this.runtime?.close();
    await this.sim.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * For a suite whose tests each make a harness: returns `track`, and stops every tracked
 * harness after each test (pass or fail), so no simulator or database outlives its test.
 */
export function stopAfterEach(): (h: SyncHarness) => SyncHarness {
  const live: SyncHarness[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((h) => h.stop()));
  });
  return (h) => {
    live.push(h);
    return h;
  };
}
