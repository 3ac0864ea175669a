/**
 * `dfe-sync reactivate`: lifts a company's suspension (its monthly limit was reached).
 * The daemon checks every company's suspension before each step, so a running one picks
 * the change up on its own.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { systemClock, type Clock } from '../../clock.js';
import { currentPeriod, reactivateCompany } from '../../limits/gate.js';
import { companyWords, localDateTime, periodWords } from '../../limits/words.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { storeNotify } from '../../notify/notify.js';
import type { CompanyState } from '../../rules/state.js';
import { openStore, stateDbPath } from '../../store/index.js';
import { CONFIG_OPTION_HELP, loadCliConfig, runCommand, withUsageExits } from '../common.js';
import { configuredCompany } from './manifest.js';

export interface ReactivateOptions {
  config?: string;
  cnpj: string;
}

export interface ReactivateIO {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** where the notification's recording problems go; default warnings on stderr */
  logger?: Logger;
}

function usageLine(used: number, calls: number | null, period: string): string {
  return `usage in the period ${period}: ${used} ${calls === null ? `SEFAZ call${used === 1 ? '' : 's'} (no limit)` : `of ${calls} SEFAZ calls`}\n`;
}

/** Lifts the suspension if there is one; says what it was and the period's usage. Exit code 0 either way. */
export function runReactivate(opts: ReactivateOptions, io: ReactivateIO): string {
  const config = loadCliConfig(opts.config, io.env);
  const company = configuredCompany(config, opts.cnpj);
  const now = io.clock.now();
  const period = currentPeriod({ config }, company, now);
  const calls = company.monthlyLimit?.calls ?? null;
  const database = stateDbPath(config.stateDir);
  // Never create the database here: with none, the daemon has not run and nothing is suspended.
  if (!existsSync(database)) {
    return `not suspended: ${companyWords(company)} was not suspended (no state database yet at ${database}); nothing changed\n${usageLine(0, calls, periodWords(period))}`;
  }
  const logger = io.logger ?? createLogger({ level: 'warn', destination: process.stderr, clock: io.clock });
  const store = openStore<CompanyState>(database, { clock: io.clock });
  try {
    const notify = storeNotify(() => config, store, () => io.clock.now(), logger);
    const lifted = reactivateCompany({ config, store, notify, logger }, company, now);
    const used = store.usageOf(company.cnpj, period.start);
    const usage = usageLine(used, calls, periodWords(period));
    if (lifted === null) return `not suspended: ${companyWords(company)} was not suspended; nothing changed\n${usage}`;
    const out = [
      `reactivated: ${companyWords(company)} had been suspended since ${localDateTime(lifted.suspendedAt, config.timezone)} (${lifted.reason})\n`,
      usage,
      'a running daemon resumes its capture at its next step for this company (otherwise the next `dfe-sync run`); a "reactivated" notification goes to its legal, financial and technical contacts\n',
    ];
    if (calls !== null && used >= calls) {
      out.push(
        `note: the limit is already reached in this period (${used} of ${calls}), so it is not suspended again before the next period ` +
          `starts on ${localDateTime(period.endsAt, config.timezone)}, unless monthlyLimit.calls is raised and reached again\n`,
      );
    }
    return out.join('');
  } finally {
    store.close();
  }
}

export function registerReactivateCommand(program: Command): void {
  withUsageExits(
    program
      .command('reactivate')
      .description("lift a company's suspension (its monthly limit of SEFAZ calls was reached) so its capture resumes")
      .option('--config <file>', CONFIG_OPTION_HELP)
      .requiredOption('--cnpj <cnpj>', 'the company to reactivate: a company of the config')
      .addHelpText(
        'after',
        '\nA running daemon resumes the company at its next step; its legal, financial and technical contacts are notified.\n' +
          'Within the same period the limit, already reached, does not suspend it again: it counts anew from the next\n' +
          'period. Run it as the service user (e.g. sudo -u dfe-sync dfe-sync reactivate …) so the database keeps its owner.',
      )
      .action((opts: ReactivateOptions) => runCommand(() => ({ text: runReactivate(opts, { env: process.env, clock: systemClock }) }))),
  );
}
