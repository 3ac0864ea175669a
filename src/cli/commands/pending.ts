/** `dfe-sync pending`: the keys still without their full XML, and why each waits. */
import type { Command } from 'commander';
import { systemClock } from '../../clock.js';
import { cnpjProblem } from '../../sefaz/identifiers.js';
import { pendingReport } from '../../status/pending.js';
import { formatPendingTable } from '../../status/pendingTable.js';
import { openStateReadOnly } from '../../status/readOnlyStore.js';
import { stateDbPath } from '../../store/index.js';
import { CONFIG_OPTION_HELP, UsageError, loadCliConfig, runCommand, withUsageExits } from '../common.js';
import type { QueueIO } from './manifest.js';

export interface PendingOptions {
  config?: string;
  cnpj?: string;
  json?: boolean;
}

/** A company of the config, or one the database still keeps (its documents are kept too). */
function checkCnpj(cnpj: string, configured: boolean, database: string, file: string): void {
  const problem = cnpjProblem(cnpj);
  if (problem !== null) throw new UsageError(`--cnpj ${problem}`);
  if (configured) return;
  const store = openStateReadOnly(database);
  try {
    if (store?.getCompany(cnpj) == null) throw new UsageError(`--cnpj ${cnpj} is neither a company of ${file} nor stored in ${database}`);
  } finally {
    store?.close();
  }
}

/** The list as text (grouped table) or JSON; exit code 0 whatever is pending. */
export function runPending(opts: PendingOptions, io: QueueIO): string {
  const config = loadCliConfig(opts.config, io.env);
  if (opts.cnpj !== undefined) {
    checkCnpj(opts.cnpj, config.companies.some((c) => c.cnpj === opts.cnpj), stateDbPath(config.stateDir), config.file);
  }
  const report = pendingReport(config, io.clock, opts.cnpj);
  if (opts.json) return `${JSON.stringify(report, null, 2)}\n`;
  return formatPendingTable(report, new Map(config.companies.map((c) => [c.cnpj, c.name])), config.timezone);
}

export function registerPendingCommand(program: Command): void {
  withUsageExits(
    program
      .command('pending')
      .description('list the NF-e whose summary (resNFe) arrived but not the full XML, and why each still waits')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .option('--cnpj <cnpj>', "only this company's keys")
      .option('--json', 'print JSON, for scripts (field names and situation codes are stable)')
      .addHelpText(
        'after',
        '\nSituations: summary-only, manifestation-queued, manifestation-sent, rejected, out-of-deadline, cancelled,\n' +
          'denied, cancelled-or-denied, fetch-queued, fetch-unavailable. Reads the state database without changing it.',
      )
      .action((opts: PendingOptions) => runCommand(() => ({ text: runPending(opts, { env: process.env, clock: systemClock }) }))),
  );
}
