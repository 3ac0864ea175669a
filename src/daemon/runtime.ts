import { mkdirSync, readFileSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { CompanyState } from '../rules/state.js';
import { openStore, stateDbPath, type Store } from '../store/index.js';
import { storeNotify } from '../notify/notify.js';
import { CertificateCache } from '../sync/certificates.js';
import type { CallMetrics, SyncContext } from '../sync/context.js';
import { SoapTransport } from '../transport/soapTransport.js';

export interface RuntimeOptions {
  clock: Clock;
  logger: Logger;
  /** counters for /metrics (the daemon's); none for commands and tests */
  metrics?: CallMetrics;
  random?: () => number;
  env?: NodeJS.ProcessEnv;
}

export interface Runtime {
  ctx: SyncContext;
  /** The same store and certificates with another configuration (SIGHUP). */
  withConfig(config: Config): SyncContext;
  close(): void;
}

function readCaFile(file: string | null): string | undefined {
  if (file === null) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new DfeSyncError('CA_FILE_UNREADABLE', `sefaz.caFile ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

function transportFor(config: Config): SoapTransport {
  const ca = readCaFile(config.sefaz.caFile);
  return new SoapTransport({
    ...(ca === undefined ? {} : { ca }),
    connectTimeoutMs: config.sefaz.connectTimeoutSeconds * 1000,
    responseTimeoutMs: config.sefaz.timeoutSeconds * 1000,
  });
}

/** Opens what a sync needs for a configuration: the state database, the transport, the certificate cache. */
export function openRuntime(config: Config, opts: RuntimeOptions): Runtime {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const store: Store<CompanyState> = openStore<CompanyState>(stateDbPath(config.stateDir), { clock: opts.clock });
  const certificates = new CertificateCache(opts.clock, opts.env);
  let transport = transportFor(config);
  let sefaz = config.sefaz;
  let current = config;
  const notify = storeNotify(() => current, store, () => opts.clock.now(), opts.logger);
  const make = (cfg: Config): SyncContext => ({
    config: cfg,
    store,
    transport,
    certificates,
    clock: opts.clock,
    logger: opts.logger,
    random: opts.random ?? Math.random,
    outputDir: cfg.output?.dir ?? null,
    notify,
    ...(opts.metrics === undefined ? {} : { metrics: opts.metrics }),
  });
  return {
    ctx: make(config),
    withConfig(next) {
      if (JSON.stringify(next.sefaz) !== JSON.stringify(sefaz)) {
        // New timeouts or trust need a new transport. Calls in flight keep the old one
        // until they end: closing it under them would lose their answers.
        const old = transport;
        transport = transportFor(next);
        setTimeout(() => old.close(), sefaz.timeoutSeconds * 1000 + 5000).unref();
        sefaz = next.sefaz;
      }
      current = next;
      return make(next);
    },
    close() {
      transport.close();
      store.close();
    },
  };
}
