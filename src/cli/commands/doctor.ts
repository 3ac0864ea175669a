/** `dfe-sync doctor`: checks config, certificates, state directory and TLS, and says what to fix. */
import type { Command } from 'commander';
import { systemClock, type Clock } from '../../clock.js';
import { runDoctor } from '../../doctor/run.js';
import { formatCheck, summarize } from '../../doctor/check.js';
import { cnpjProblem } from '../../sefaz/identifiers.js';
import {
  CONFIG_OPTION_HELP, EXIT_FAILURE, UsageError, processOutput, repeatable, runCommand, withUsageExits, type CommandOutput,
} from '../common.js';

export interface DoctorCliOptions {
  config?: string;
  cnpj: string[];
}

/** Prints each check as it completes; exit code 1 when any check failed. */
export async function runDoctorCommand(
  opts: DoctorCliOptions,
  io: { env: NodeJS.ProcessEnv; clock: Clock; out: CommandOutput },
): Promise<{ text: string; exitCode: number }> {
  for (const cnpj of opts.cnpj) {
    const problem = cnpjProblem(cnpj);
    if (problem !== null) throw new UsageError(`--cnpj ${problem}`);
  }
  const results = await runDoctor(
    { ...(opts.config === undefined ? {} : { config: opts.config }), cnpjs: opts.cnpj },
    { env: io.env, clock: io.clock, onResult: (r) => io.out.stdout(formatCheck(r)) },
  );
  return { text: summarize(results), exitCode: results.some((r) => r.status === 'fail') ? EXIT_FAILURE : 0 };
}

export function registerDoctorCommand(program: Command): void {
  withUsageExits(
    program
      .command('doctor')
      .description('check the config, each certificate, the state directory and a TLS handshake with each SEFAZ endpoint (no SEFAZ query)')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .option('--cnpj <cnpj>', 'check only this company (repeatable)', repeatable, [])
      .addHelpText(
        'after',
        '\nOne line per check: OK, WARN or FAIL and what to fix. Exit code 1 when any check FAILs.\n' +
          "Run it as the service's user (e.g. sudo -u dfe-sync dfe-sync doctor), so that permissions are checked as the daemon meets them.",
      )
      .action((opts: DoctorCliOptions) =>
        runCommand(() => runDoctorCommand(opts, { env: process.env, clock: systemClock, out: processOutput })),
      ),
  );
}
