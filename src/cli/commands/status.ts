/** `dfe-sync status`: each company's cursor, last call, next call, certificate and problems. */
import type { Command } from 'commander';
import { systemClock, type Clock } from '../../clock.js';
import { formatStatusTable, statusOf } from '../../status/index.js';
import type { SnapshotOptions } from '../../status/snapshot.js';
import { CONFIG_OPTION_HELP, loadCliConfig, runCommand, withUsageExits } from '../common.js';

export interface StatusOptions {
  config?: string;
  json?: boolean;
}

export interface StatusIO extends SnapshotOptions {
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

/** The report as text: the table, or JSON for scripts. Problems do not change the exit code. */
export function runStatus(opts: StatusOptions, io: StatusIO): string {
  const config = loadCliConfig(opts.config, io.env);
  const report = statusOf(config, io.clock, io);
  return opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatusTable(report);
}

export function registerStatusCommand(program: Command): void {
  withUsageExits(
    program
      .command('status')
      .description('show each company: cursor (ultNSU/maxNSU), documents, last call, next distNSU, certificate, problems')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .option('--json', 'print JSON, for scripts (field names are stable); the exit code is 0 even when problems are listed')
      .addHelpText(
        'after',
        '\nReads the state database without changing it and needs no certificate password:\n' +
          'run it as the service user, e.g. sudo -u dfe-sync dfe-sync status --config /etc/dfe-sync/config.yaml.\n' +
          'Exit code 0 whenever the report could be made, even with problems: scripts read "problems" in --json.',
      )
      .action((opts: StatusOptions) => runCommand(() => ({ text: runStatus(opts, { env: process.env, clock: systemClock }) }))),
  );
}
