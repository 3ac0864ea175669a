/** A config, a store, a memory logger and a local webhook receiver for the notification tests. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { parseConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { openStore, stateDbPath, type Store } from '../../src/store/index.js';

export const NOW = Date.UTC(2026, 10, 20, 15, 0, 0);
export const SECOND = 1000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function cnpj(base12: string): string {
  return base12 + cnpjCheckDigits(base12);
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dfe-notify-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A config for `companies` (YAML fragments appended under the top level) parsed as the daemon would. */
export function configFor(dir: string, companies: { cnpj: string; name?: string; enabled?: boolean; extra?: string }[], extra = ''): Config {
  const lines = [
    'environment: homologation',
    `stateDir: ${join(dir, 'state')}`,
    'timezone: America/Sao_Paulo',
    'companies:',
    ...companies.flatMap((c) => [
      `  - cnpj: "${c.cnpj}"`,
      `    name: ${c.name ?? `Empresa ${c.cnpj.slice(0, 4)}`}`,
      '    uf: SP',
      `    certificate: { pfx: ${c.cnpj}.pfx, passwordFile: ${c.cnpj}.pass }`,
      ...(c.enabled === undefined ? [] : [`    enabled: ${c.enabled}`]),
      ...(c.extra === undefined ? [] : [c.extra]),
    ]),
    extra,
  ];
  return parseConfig(lines.join('\n') + '\n', join(dir, 'config.yaml'));
}

export function openTestStore(config: Config, clock: Clock): Store<CompanyState> {
  const store = openStore<CompanyState>(stateDbPath(config.stateDir), { clock });
  store.upsertCompanies(
    config.companies.map((c) => ({ cnpj: c.cnpj, name: c.name, enabled: c.enabled, window: '24h', initialState: initialCompanyState() })),
  );
  return store;
}

export interface DeliveryRow {
  channel: string;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  dedupeKey: string;
  kind: string;
  payload: Record<string, unknown>;
}

/** What the store holds, read with a second connection as an operator's sqlite3 would. */
export function deliveryRows(config: Config): DeliveryRow[] {
  const db = new Database(stateDbPath(config.stateDir), { readonly: true });
  try {
    return (
      db
        .prepare(
          `SELECT d.channel, d.state, d.attempts, d.next_attempt_at AS nextAttemptAt, d.last_error AS lastError, n.dedupe_key AS dedupeKey, n.kind, n.payload
           FROM deliveries d JOIN notifications n ON n.id = d.notification_id ORDER BY d.id`,
        )
        .all() as (Omit<DeliveryRow, 'payload'> & { payload: string })[]
    ).map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

export function notificationRows(config: Config): { dedupeKey: string; kind: string; cnpj: string | null; createdAt: number; payload: Record<string, unknown> }[] {
  const db = new Database(stateDbPath(config.stateDir), { readonly: true });
  try {
    return (db.prepare('SELECT dedupe_key AS dedupeKey, kind, cnpj, created_at AS createdAt, payload FROM notifications ORDER BY id').all() as { dedupeKey: string; kind: string; cnpj: string | null; createdAt: number; payload: string }[]).map(
      (r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }),
    );
  } finally {
    db.close();
  }
}

/** Log lines kept in memory, raw (to search for secrets) and parsed. */
export function memoryLogger(): { logger: Logger; raw: string[]; lines: Record<string, unknown>[] } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) {
        raw.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), raw, lines };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** the test clock when it arrived */
  at: number;
}

/**
 * A webhook receiver on 127.0.0.1: records each request and answers with the next scripted
 * status for its path (200 when none is left); 'hang' never answers.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly script = new Map<string, (number | 'hang' | { status: number; headers: Record<string, string> })[]>();
  private readonly waiters: (() => void)[] = [];
  private server: Server | null = null;
  private readonly hanging = new Set<import('node:http').ServerResponse>();

  constructor(private readonly clock: Clock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: this.clock.now() });
        for (const w of this.waiters.splice(0)) w();
        const next = this.script.get(path)?.shift() ?? 200;
        if (next === 'hang') {
          this.hanging.add(res);
          return;
        }
        const { status, headers } = typeof next === 'number' ? { status: next, headers: {} } : next;
        res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : `error ${status}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${path}`;
  }

  respond(path: string, ...answers: (number | 'hang' | { status: number; headers: Record<string, string> })[]): void {
    this.script.set(path, answers);
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves when `count` requests in all have arrived. */
  async waitFor(count: number): Promise<void> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
