/**
 * What `dfe-sync sim` does, as functions the tests call directly; src/cli/commands/sim.ts
 * only wires them to commander.
 */
import { ensureTestMaterial } from '../cert/testMaterial.js';
import { ScaledClock, systemClock, type Clock } from '../clock.js';
import type { Environment } from '../sefaz/endpoints.js';
import { cnpjProblem } from '../sefaz/identifiers.js';
import { SimulatorError } from './errors.js';
import { SefazSimulator } from './simulator.js';

export interface SimCompanyArg {
  cnpj: string;
  documents: number;
}

export interface SimCommandOptions {
  tlsDir: string;
  port: number;
  environment: Environment;
  companies: SimCompanyArg[];
  seed: number;
  /** Simulated milliseconds per real millisecond (1: real time). */
  clockScale: number;
  /** From a manifestation to its full NF-e as a new NSU, simulated ms (default 10 minutes). */
  fullDocumentDelayMs?: number;
}

const usage = (message: string): SimulatorError => new SimulatorError('SIM_BAD_INPUT', message);

/**
 * Collects `--cnpj X [--documents N]` pairs in command-line order: each --documents
 * belongs to the --cnpj just before it. Commander calls option processors in argv order,
 * so this state machine sees them as typed.
 */
export class CompanyArgs {
  readonly companies: SimCompanyArg[] = [];
  private lastHasDocuments = true;

  cnpj(value: string): void {
    const problem = cnpjProblem(value);
    if (problem !== null) throw usage(`--cnpj ${problem}`);
    if (this.companies.some((c) => c.cnpj === value)) throw usage(`--cnpj ${value} is given twice`);
    this.companies.push({ cnpj: value, documents: 0 });
    this.lastHasDocuments = false;
  }

  documents(value: string): void {
    const last = this.companies.at(-1);
    if (last === undefined) throw usage(`--documents ${value} must follow the --cnpj it applies to`);
    if (this.lastHasDocuments) throw usage(`--documents ${value}: --cnpj ${last.cnpj} already has --documents ${last.documents}`);
    last.documents = wholeNumber('--documents', value, 0, 1_000_000);
    this.lastHasDocuments = true;
  }
}

export function wholeNumber(option: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usage(`${option} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

export function clockScale(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1_000_000) {
    throw usage(`--clock-scale must be a positive number up to 1000000 (simulated seconds per real second), not "${value}"`);
  }
  return n;
}

export function environmentArg(value: string): Environment {
  if (value !== 'production' && value !== 'homologation') {
    throw usage(`--environment must be production or homologation, not "${value}"`);
  }
  return value;
}

export interface RunningSimulator {
  sim: SefazSimulator;
  url: string;
  /** Stops the server; returns the closing line. */
  stop(): Promise<string>;
}

/**
 * Creates what the TLS directory lacks, starts the simulator with the companies, prints
 * `listening https://127.0.0.1:PORT` first and then one JSON line per call.
 */
export async function startSimulator(o: SimCommandOptions, out: (line: string) => void, clock?: Clock): Promise<RunningSimulator> {
  ensureTestMaterial(
    o.tlsDir,
    o.companies.map((c) => c.cnpj),
  );
  const sim = new SefazSimulator({
    tlsDir: o.tlsDir,
    clock: clock ?? (o.clockScale === 1 ? systemClock : new ScaledClock(o.clockScale)),
    environment: o.environment,
    seed: o.seed,
    port: o.port,
    onCall: (call) => out(JSON.stringify(call)),
    ...(o.fullDocumentDelayMs === undefined ? {} : { fullDocumentDelayMs: o.fullDocumentDelayMs }),
  });
  for (const c of o.companies) sim.addCompany(c.cnpj, { documents: c.documents });
  const { url } = await sim.start();
  out(`listening ${url}`);
  return {
    sim,
    url,
    async stop() {
      const calls = sim.calls().at(-1)?.seq ?? 0;
      const violations = sim.violations().length;
      await sim.stop();
      return `stopped: ${calls} calls, ${violations} rule violations`;
    },
  };
}
