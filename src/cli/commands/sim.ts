/**
 * `dfe-sync sim`: the SEFAZ simulator for tests, demos and acceptance tests. The work is
 * in src/sim/cli.ts (tested directly); commander only wires it.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DfeSyncError } from '../../errors.js';
import {
  CompanyArgs,
  clockScale,
  environmentArg,
  startSimulator,
  wholeNumber,
  type SimCommandOptions,
} from '../../sim/cli.js';
import { withUsageExits } from '../common.js';

interface ParsedOptions {
  tlsDir: string;
  port: number;
  environment: SimCommandOptions['environment'];
  seed: number;
  clockScale: number;
  fullDocumentDelay?: number;
}

/** Wraps our validators so that commander reports their message as an invalid argument (exit 2). */
function arg<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

/** The `sim` command; `run` is what its action does (tests pass their own). */
export function buildSimCommand(run: (o: SimCommandOptions) => Promise<void> = runSimCommand): Command {
  const companies = new CompanyArgs();
  return withUsageExits(new Command('sim'))
    .description(
      'run the SEFAZ simulator (NFeDistribuicaoDFe over mutual TLS, SEFAZ rules enforced) on 127.0.0.1;\n' +
        'prints "listening https://127.0.0.1:PORT" first, then one JSON line per call; stops on SIGTERM/SIGINT',
    )
    .requiredOption('--tls-dir <dir>', 'test CA, server certificate and client .pfx files (whatever is missing is created)')
    .option('--port <n>', 'port to listen on (0: any free port)', arg((v) => wholeNumber('--port', v, 0, 65535)), 0)
    .option('--environment <env>', 'production or homologation (a tpAmb of the other one is answered 252)', arg(environmentArg), 'homologation')
    .option('--cnpj <cnpj>', 'a company the simulator distributes documents to, with its client .pfx (repeatable)', arg((v) => companies.cnpj(v)))
    .option('--documents <n>', 'documents of mixed kinds at NSU 1..N for the --cnpj before it', arg((v) => companies.documents(v)))
    .option('--seed <n>', 'seed of the generated documents', arg((v) => wholeNumber('--seed', v, 0, 2 ** 32 - 1)), 1)
    .option('--clock-scale <n>', "simulated seconds per real second for SEFAZ's rules (1: real time)", arg(clockScale), 1)
    .option('--full-document-delay <seconds>', 'simulated seconds from a registered Ciência/Confirmação to its full NF-e as a new NSU (default 600)', arg((v) => wholeNumber('--full-document-delay', v, 0, 86_400 * 30)))
    .action(async (o: ParsedOptions) => {
      await run({
        tlsDir: o.tlsDir,
        port: o.port,
        environment: o.environment,
        companies: companies.companies,
        seed: o.seed,
        clockScale: o.clockScale,
        ...(o.fullDocumentDelay === undefined ? {} : { fullDocumentDelayMs: o.fullDocumentDelay * 1000 }),
      });
    });
}

export function registerSimCommand(program: Command): void {
  program.addCommand(buildSimCommand());
}

/** Runs until SIGTERM or SIGINT, then prints `stopped: N calls, M rule violations` and exits 0. */
export async function runSimCommand(o: SimCommandOptions): Promise<void> {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let running;
  try {
    running = await startSimulator(o, out);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`dfe-sync: sim: ${message.split('\n')[0]}\n`);
    process.exitCode = err instanceof DfeSyncError && err.code === 'SIM_BAD_INPUT' ? 2 : 1;
    return;
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  out(await running.stop());
  process.exitCode = 0;
}
