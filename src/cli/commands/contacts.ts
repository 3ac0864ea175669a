/** `dfe-sync contacts`: who is notified of what, through which channel; never a secret. */
import type { Command } from 'commander';
import { contactsReport, formatContactsReport } from '../../notify/contacts.js';
import { CONFIG_OPTION_HELP, loadCliConfig, runCommand, withUsageExits } from '../common.js';

export interface ContactsOptions {
  config?: string;
  json?: boolean;
}

/** The report as text, or JSON for scripts. Problems are listed, not turned into an exit code. */
export function runContacts(opts: ContactsOptions, env: NodeJS.ProcessEnv): string {
  const report = contactsReport(loadCliConfig(opts.config, env));
  return opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatContactsReport(report);
}

export function registerContactsCommand(program: Command): void {
  withUsageExits(
    program
      .command('contacts')
      .description('show the configured contacts: their roles, channels (webhook host, command), and what each role receives')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .option('--json', 'print JSON, for scripts; the exit code is 0 even when problems are listed')
      .addHelpText(
        'after',
        '\nReads the config only (no state database, no secret): webhook URLs are shown by host, since their paths often carry tokens.\n' +
          'legal contacts receive everything; financial: consumption and limit notices; technical: 656s, certificates, silence, missing XML.',
      )
      .action((opts: ContactsOptions) => runCommand(() => ({ text: runContacts(opts, process.env) }))),
  );
}
