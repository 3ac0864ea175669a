/**
 * The daemon's read-only status server: the page (`/`), the report as JSON
 * (`/api/status`, the shape of `status --json`) and Prometheus metrics (`/metrics`).
 * Every answer is built from the state database at request time, so it never disagrees
 * with `dfe-sync status`.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { statusOf, type StatusReport } from '../status/index.js';
import type { SnapshotOptions } from '../status/snapshot.js';
import { HttpServerError } from './errors.js';
import type { Metrics } from './metrics.js';
import { PAGE_CSP, renderStatusPage } from './page.js';
import { isLoopback, loadToken, tokenMatches } from './token.js';

export interface HttpServerOptions {
  /** Read at each request, so a reloaded config shows at once (address and token are read at start). */
  config: () => Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** How the report judges leases (tests); the daemon leaves the defaults. */
  status?: SnapshotOptions;
}

export interface HttpServer {
  /** e.g. http://127.0.0.1:9717/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

type Route = (report: () => StatusReport, config: Config) => Reply | Promise<Reply>;

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const TEXT = 'text/plain; charset=utf-8';

const text = (status: number, body: string, headers?: Record<string, string>): Reply => ({ status, type: TEXT, body: `${body}\n`, ...(headers === undefined ? {} : { headers }) });

/** The paths and whether `?token=` is accepted there (only on the page a person opens). */
function routesFor(metrics: Metrics): Record<string, { queryToken: boolean; route: Route }> {
  return {
    '/': { queryToken: true, route: (report, config) => ({ status: 200, type: 'text/html; charset=utf-8', body: renderStatusPage(report(), config), headers: { 'Content-Security-Policy': PAGE_CSP } }) },
    '/api/status': { queryToken: false, route: (report) => ({ status: 200, type: 'application/json; charset=utf-8', body: `${JSON.stringify(report())}\n` }) },
    '/metrics': { queryToken: false, route: async (report) => ({ status: 200, type: metrics.contentType, body: await metrics.scrape(report()) }) },
  };
}

function bearer(req: IncomingMessage): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ?? null;
}

/** The host name of a Host header ("[::1]:9717" → "::1"). */
function hostName(header: string | undefined): string {
  const h = header ?? '';
  const v6 = /^\[([^\]]+)\]/.exec(h);
  return v6 !== null ? v6[1]! : h.replace(/:\d+$/, '');
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'Content-Type': reply.type,
    'Content-Length': Buffer.byteLength(reply.body),
    'Content-Security-Policy': API_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...reply.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** `$CREDENTIALS_DIRECTORY/NAME` for http.tokenCredential (systemd LoadCredential), or null. */
function credentialFile(name: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (name === null) return null;
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir === undefined || dir === '') {
    throw new HttpServerError('HTTP_TOKEN_UNREADABLE', `http.tokenCredential ${name} needs $CREDENTIALS_DIRECTORY, which systemd sets with LoadCredential=${name}:…; it is not set`);
  }
  return join(dir, name);
}

/** The token clients must present, or null when auth is off (allowed on loopback only). */
function accessToken(config: Config, logger: Logger): string | null {
  const { host, port, auth, tokenFile } = config.http;
  if (auth === 'off') {
    if (!isLoopback(host)) {
      throw new HttpServerError(
        'HTTP_AUTH_OFF_NOT_LOOPBACK',
        `http.listen is ${host}:${port}, which other machines can reach, and http.auth is off: set http.auth: on (clients then send the token as Authorization: Bearer) or listen on 127.0.0.1`,
      );
    }
    return null;
  }
  const file = tokenFile ?? credentialFile(config.http.tokenCredential);
  if (file === null) mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const source = loadToken(file, config.stateDir);
  if (source.created) logger.info({ file: source.file }, 'made a token for the status page: send it as Authorization: Bearer, or open the page with ?token=');
  if (source.readableByOthers) logger.warn({ file: source.file }, 'the status page token file is readable by other users: chmod 600 it');
  return source.token;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { clock, logger, metrics } = options;
  const initial = options.config();
  const { host, port } = initial.http;
  const token = accessToken(initial, logger);
  const routes = routesFor(metrics);

  async function answer(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://status.invalid');
    const entry = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (token === null) {
      // Without a token, a web page the operator visits could rebind its own name to
      // 127.0.0.1 and read this one: only loopback names are answered.
      if (!isLoopback(hostName(req.headers.host))) return text(403, 'Forbidden: with http.auth off only loopback host names (127.0.0.1, localhost) are answered.');
    } else {
      const given = bearer(req) ?? (entry?.queryToken === true ? url.searchParams.get('token') : null);
      if (!tokenMatches(token, given)) {
        return text(401, 'Unauthorized: send the token of http.tokenFile (or stateDir/http.token) as Authorization: Bearer <token>, or open the page as /?token=<token>.', { 'WWW-Authenticate': 'Bearer realm="dfe-sync"' });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Method Not Allowed: this server is read-only (GET, HEAD).', { Allow: 'GET, HEAD' });
    if (entry === undefined) return text(404, 'Not Found: the paths are / (the page), /api/status and /metrics.');
    const config = options.config();
    return entry.route(() => statusOf(config, clock, options.status), config);
  }

  const server = createServer((req, res) => {
    answer(req)
      .catch((err: unknown) => {
        logger.error({ err, path: req.url?.split('?')[0] }, 'status server: could not answer');
        return text(500, 'Internal Server Error: see the dfe-sync log.');
      })
      .then((reply) => {
        // The path only: the query may carry the token.
        logger.debug({ method: req.method, path: req.url?.split('?')[0], status: reply.status }, 'status server request');
        send(req, res, reply);
      })
      .catch((err: unknown) => logger.error({ err }, 'status server: could not send an answer'));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      reject(new HttpServerError('HTTP_LISTEN_FAILED', `the status server cannot listen on ${host}:${port} (${err.code ?? err.message}): change http.listen or stop what uses that port`, err));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'status server error'));

  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const url = urlOf(host, bound);
  logger.info({ url, auth: token === null ? 'off' : 'on' }, 'status page, /api/status and /metrics served');
  return {
    url,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        // A browser keeps idle connections open; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
