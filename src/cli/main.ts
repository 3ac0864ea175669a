#!/usr/bin/env node
import { Command, type CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError } from '../config/index.js';
import { registerCertCommand } from './commands/cert.js';
import { registerRunCommand } from './commands/run.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = new Command()
  .name('dfe-sync')
  .description(
    'Keeps companies\' inbound NF-e in sync with SEFAZ NFeDistribuicaoDFe, never earning a 656.\n' +
      'Commands that read the config take --config FILE (default $DFE_SYNC_CONFIG, then /etc/dfe-sync/config.yaml).',
  )
  .version(version)
  .showHelpAfterError()
  // Inherited by every subcommand: one error form, exit 2 for a command line that cannot work.
  .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'dfe-sync: ')) })
  .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 2));

registerRunCommand(program);
registerCertCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`dfe-sync: ${message}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
