import type { Command } from 'commander';
import { runDaemon, runOnce } from '../../daemon/run.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Run the sync daemon: keeps every enabled company in sync with SEFAZ within its capture window, ' +
        'never earning a 656. SIGTERM/SIGINT: commit the batches in flight and exit 0; SIGHUP: reload the config.',
    )
    .option('--config <file>', 'config file (default $DFE_SYNC_CONFIG, then /etc/dfe-sync/config.yaml)')
    .option('--once', 'one pass over the companies that may call now (each drained while documents remain), then exit; exit code 1 when a company could not be synced')
    .action(async (opts: { config?: string; once?: boolean }) => {
      if (opts.once) process.exitCode = await runOnce(opts.config);
      else await runDaemon(opts.config);
    });
}
