#!/usr/bin/env node
import { Command } from 'commander';
import { createRequire } from 'node:module';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = new Command()
  .name('dfe-sync')
  .description(
    'Keeps a company\'s inbound NF-e in sync with SEFAZ NFeDistribuicaoDFe, never earning a 656.\n' +
      'Commands that read the config take --config FILE (default $DFE_SYNC_CONFIG, then /etc/dfe-sync/config.yaml).',
  )
  .version(version)
  .showHelpAfterError();

await program.parseAsync(process.argv);
