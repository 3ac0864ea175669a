import { systemClock, type Clock } from '../clock.js';
import { loadConfig, type Config } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { Daemon } from './daemon.js';
import { LeaseKeeper } from './leases.js';
import { openRuntime, type Runtime } from './runtime.js';
import { installSignalHandlers } from './signals.js';
import { Metrics } from '../http/metrics.js';
import { startHttpServer, type HttpServer } from '../http/server.js';
import { HttpServerError } from '../http/errors.js';
import { DeliveryWorker } from '../notify/deliver.js';
import { SILENCE_LOOKBACK_MS, checkNotifications } from '../notify/producers.js';

const DAY_MS = 86_400_000;
/**
 * The call log is kept this long (the documents themselves forever): past SEFAZ's 60
 * days of silence, which the silence notices look back over.
 */
const CALL_LOG_RETENTION_MS = SILENCE_LOOKBACK_MS + DAY_MS;
/** How often certificate expiry, silence and missing full documents are looked at. */
const NOTICE_CHECK_MS = 5 * 60_000;

export interface RunOptions {
  clock?: Clock;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

function startDaemon(runtime: Runtime, logger: Logger, timers: 'real' | 'manual'): { daemon: Daemon; leases: LeaseKeeper } {
  const leases = new LeaseKeeper(runtime.ctx.store, logger);
  const daemon = new Daemon(runtime.ctx, { maxInFlight: runtime.ctx.config.daemon.maxInFlight, leases, timers });
  daemon.start();
  return { daemon, leases };
}

/**
 * `run --once`: one pass over the companies that may call now (each drained while its
 * documents remain), with the same store, rules and leases as the daemon, then exit.
 * Returns the exit code: 1 when a company could not be worked (held by another
 * process, stopped, or its call failed), so a timer's failures are seen.
 */
export async function runOnce(configFile: string | undefined, opts: RunOptions = {}): Promise<number> {
  const config = loadConfig(configFile, opts.env);
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const clock = opts.clock ?? systemClock;
  const runtime = openRuntime(config, { clock, logger, ...(opts.env ? { env: opts.env } : {}) });
  try {
    const startedAt = clock.now();
    const { daemon, leases } = startDaemon(runtime, logger, 'manual');
    await daemon.runDue();
    await daemon.stop();
    // what a timer-driven install would otherwise never hear about
    checkNotifications(runtime.ctx);
    await new DeliveryWorker({ config: () => config, store: runtime.ctx.store, clock, logger, ...(opts.env ? { env: opts.env } : {}) }).runDue();
    const store = runtime.ctx.store;
    const enabled = config.companies.filter((c) => c.enabled).map((c) => c.cnpj);
    const refused = leases.refusedCnpjs;
    const stopped = enabled.filter((c) => store.getCompany(c)?.state.stopped);
    const failed = enabled.filter((c) => {
      const last = store.getCompany(c)?.lastCall;
      return last != null && last.at >= startedAt && last.error !== null;
    });
    const trouble = refused.length + stopped.length + failed.length;
    logger[trouble > 0 ? 'error' : 'info'](
      { companies: enabled.length, refused, stopped, failed },
      trouble > 0 ? 'run --once finished with companies not synced: see the lines above and dfe-sync status' : 'run --once finished',
    );
    return trouble > 0 ? 1 : 0;
  } finally {
    runtime.close();
    logger.flush();
  }
}

/** The daemon: runs until SIGTERM/SIGINT, reloads its configuration on SIGHUP. */
export async function runDaemon(configFile: string | undefined, opts: RunOptions = {}): Promise<void> {
  let config: Config = loadConfig(configFile, opts.env);
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const clock = opts.clock ?? systemClock;
  const metrics = new Metrics();
  const runtime = openRuntime(config, { clock, logger, metrics, ...(opts.env ? { env: opts.env } : {}) });
  // The page refuses to start on a non-loopback address with auth off: so does the daemon.
  // A busy port only costs the page: syncing, the main job, goes on.
  let http: HttpServer | null = null;
  try {
    http = await startHttpServer({ config: () => config, clock, logger, metrics });
  } catch (err) {
    if (!(err instanceof HttpServerError && err.code === 'HTTP_LISTEN_FAILED')) {
      runtime.close();
      throw err;
    }
    logger.error({ err }, `status page not served: ${err.message}; syncing goes on (set http.listen to a free address)`);
  }
  const { daemon } = startDaemon(runtime, logger, 'real');
  const deliveries = new DeliveryWorker({ config: () => config, store: runtime.ctx.store, clock, logger, ...(opts.env ? { env: opts.env } : {}) });
  deliveries.start();
  logger.info({ pid: process.pid, config: config.file, companies: config.companies.length, environment: config.environment, status: http?.url ?? null }, 'dfe-sync started');

  // Also what keeps the process alive when every company is waiting or stopped.
  const maintenance = setInterval(() => {
    try {
      runtime.ctx.store.pruneCalls(clock.now() - CALL_LOG_RETENTION_MS);
    } catch (err) {
      logger.warn({ err }, `pruning the call log failed; trying again later: ${(err as Error).message}`);
    }
  }, DAY_MS / 24);
  // A failing check (a busy database) is logged and tried again: it must not stop the daemon.
  const checkNotices = (): void => {
    try {
      checkNotifications({ ...runtime.ctx, config });
    } catch (err) {
      logger.error({ err }, `checking for notices failed; trying again in ${NOTICE_CHECK_MS / 60_000} min: ${(err as Error).message}`);
    }
  };
  const notices = setInterval(checkNotices, NOTICE_CHECK_MS);
  notices.unref();
  checkNotices();

  await new Promise<void>((resolve) => {
    const uninstall = installSignalHandlers(logger, {
      async stop() {
        clearInterval(maintenance);
        clearInterval(notices);
        await daemon.stop();
        await deliveries.stop();
        await http?.close();
        runtime.close();
        uninstall();
        logger.info('stopped cleanly');
        logger.flush();
        resolve();
      },
      reload() {
        try {
          const next = loadConfig(config.file, opts.env);
          if (next.stateDir !== config.stateDir) {
            throw new DfeSyncError('RELOAD_STATE_DIR', `stateDir changed from ${config.stateDir} to ${next.stateDir}: that takes a restart (systemctl restart dfe-sync)`);
          }
          daemon.reload(runtime.withConfig(next));
          config = next;
        } catch (err) {
          logger.error({ err }, `configuration not reloaded, keeping the running one: ${(err as Error).message}`);
          return;
        }
        logger.info({ config: config.file, companies: config.companies.length }, 'configuration reloaded');
      },
    });
  });
}
