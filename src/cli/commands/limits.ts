/** `dfe-sync limits`: each company's monthly limit, current period, calls used and suspension. */
import type { Command } from 'commander';
import { systemClock, type Clock } from '../../clock.js';
import { limitsReport } from '../../limits/report.js';
import { formatLimitsTable } from '../../limits/table.js';
import { openStateReadOnly } from '../../status/readOnlyStore.js';
import { stateDbPath } from '../../store/index.js';
import { CONFIG_OPTION_HELP, loadCliConfig, runCommand, withUsageExits } from '../common.js';

export interface LimitsOptions {
  config?: string;
  json?: boolean;
}

export interface LimitsIO {
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

/** The report as a table, or JSON for scripts; reads the state database without changing it. */
export function runLimits(opts: LimitsOptions, io: LimitsIO): string {
  const config = loadCliConfig(opts.config, io.env);
  const database = stateDbPath(config.stateDir);
  const store = openStateReadOnly(database);
  try {
    const report = limitsReport(config, store, io.clock.now(), database);
    return opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatLimitsTable(report);
  } finally {
    store?.close();
  }
}

export function registerLimitsCommand(program: Command): void {
  withUsageExits(
    program
      .command('limits')
      .description('show each company\'s monthly limit of SEFAZ calls, its current billing period, the calls used and any suspension')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .option('--json', 'print JSON, for scripts (field names are stable)')
      .addHelpText(
        'after',
        '\nEvery SEFAZ call is counted, with or without a limit (companies without one show "no limit"). A billing period\n' +
          'runs from monthlyLimit.periodStartDay (default the 21st) to the day before it in the next month, in the config\'s\n' +
          'time zone. A suspended company makes no call until `dfe-sync reactivate --config F --cnpj X` (or, with\n' +
          'reactivateAtPeriodStart, until the next period starts). Reads the state database without changing it.',
      )
      .action((opts: LimitsOptions) => runCommand(() => ({ text: runLimits(opts, { env: process.env, clock: systemClock }) }))),
  );
}
