import type { Logger } from '../log/logger.js';

/**
 * SIGTERM and SIGINT: finish and commit the batches in flight, then exit 0 (what systemd
 * expects of a clean stop). A second one while stopping is said and ignored: the
 * batches in flight are worth the wait, and systemd's TimeoutStopSec is the backstop.
 * SIGHUP: reload the configuration.
 */
export function installSignalHandlers(logger: Logger, handlers: { stop(signal: string): Promise<void>; reload(): void }): () => void {
  let stopping = false;
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'already stopping: waiting for the batches in flight to be committed');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the batches in flight');
    handlers.stop(signal).catch((err: unknown) => {
      logger.fatal({ err }, `stopping failed: ${(err as Error).message}`);
      logger.flush();
      process.exit(1);
    });
  };
  const onHup = (): void => {
    if (!stopping) handlers.reload();
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  return () => {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
  };
}
