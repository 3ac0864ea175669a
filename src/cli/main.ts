#!/usr/bin/env node
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { DfeSyncError } from '../errors.js';
import { registerCertCommand } from './commands/cert.js';
import { registerContactsCommand } from './commands/contacts.js';
import { registerLimitsCommand } from './commands/limits.js';
import { registerReactivateCommand } from './commands/reactivate.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerExportCommand } from './commands/export.js';
import { registerFetchCommand } from './commands/fetch.js';
import { registerManifestCommand } from './commands/manifest.js';
import { registerPendingCommand } from './commands/pending.js';
import { registerRunCommand } from './commands/run.js';
import { registerSimCommand } from './commands/sim.js';
import { registerStatusCommand } from './commands/status.js';
import { errorLines, exitCodeOf, withUsageExits } from './common.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = withUsageExits(
  new Command()
    .name('dfe-sync')
    .description(
      'Keeps companies\' inbound NF-e in sync with SEFAZ NFeDistribuicaoDFe, never earning a 656.\n' +
        'Commands that read the config take --config FILE (default $DFE_SYNC_CONFIG, then /etc/dfe-sync/config.yaml).\n' +
        'Exit codes: 0 done, 1 an operational failure, 2 a command line or config that cannot work.',
    )
    .version(version)
    .showHelpAfterError(),
);

registerRunCommand(program);
registerStatusCommand(program);
registerExportCommand(program);
registerManifestCommand(program);
registerFetchCommand(program);
registerPendingCommand(program);
registerDoctorCommand(program);
registerLimitsCommand(program);
registerReactivateCommand(program);
registerContactsCommand(program);
registerCertCommand(program);
registerSimCommand(program);
registerDemoCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(errorLines(err));
  if (!(err instanceof DfeSyncError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = exitCodeOf(err);
}
