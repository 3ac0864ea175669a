import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';

/**
 * The schema's history. A migration is never edited once released: a change is a new
 * entry. `PRAGMA user_version` holds the number of migrations applied.
 *
 * Times are INTEGER milliseconds since the epoch. NSUs are TEXT of exactly 15 digits
 * and CNPJs/keys TEXT (alphanumeric CNPJs exist): never numbers.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

const NSU_CHECK = (column: string): string =>
  `CHECK (${column} IS NULL OR (length(${column}) = 15 AND ${column} NOT GLOB '*[^0-9]*'))`;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'companies, documents, call log, targeted calls, gaps, leases',
    sql: `
      CREATE TABLE companies (
        cnpj TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        capture_window TEXT NOT NULL,
        rule_state TEXT NOT NULL CHECK (json_valid(rule_state)),
        ultNSU TEXT ${NSU_CHECK('ultNSU')},
        maxNSU TEXT ${NSU_CHECK('maxNSU')},
        next_dist_at INTEGER,
        next_dist_reason TEXT,
        blocked_until INTEGER,
        stopped TEXT,
        documents INTEGER NOT NULL DEFAULT 0,
        last_call_at INTEGER,
        last_call_op TEXT,
        last_cStat TEXT,
        last_xMotivo TEXT,
        last_docs INTEGER,
        last_ms INTEGER,
        last_error TEXT,
        cert_cnpj TEXT,
        cert_subject TEXT,
        cert_not_after INTEGER,
        cert_file TEXT,
        cert_mtime REAL,
        cert_saved_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        NSU TEXT ${NSU_CHECK('NSU')},
        kind TEXT NOT NULL CHECK (kind IN ('resNFe', 'procNFe', 'resEvento', 'procEventoNFe', 'unknown')),
        schema TEXT NOT NULL,
        chNFe TEXT,
        emitter_CNPJ TEXT,
        emitter_CPF TEXT,
        emitter_name TEXT,
        dhEmi TEXT,
        vNF TEXT,
        cSitNFe TEXT,
        tpNF TEXT,
        nProt TEXT,
        tpEvento TEXT,
        xEvento TEXT,
        nSeqEvento TEXT,
        dhEvento TEXT,
        gzip BLOB NOT NULL,
        decode_error TEXT,
        received_at INTEGER NOT NULL,
        source_op TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX documents_by_nsu ON documents (cnpj, NSU) WHERE NSU IS NOT NULL;
      -- Without an NSU a document is known by its key; events also by type and sequence,
      -- so a cancellation and a correction of one NF-e are both kept.
      CREATE UNIQUE INDEX documents_by_key
        ON documents (cnpj, kind, chNFe, coalesce(tpEvento, ''), coalesce(nSeqEvento, ''))
        WHERE NSU IS NULL;
      CREATE INDEX documents_of_company ON documents (cnpj);
      CREATE INDEX documents_by_chNFe ON documents (chNFe) WHERE chNFe IS NOT NULL;

      CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        at INTEGER NOT NULL,
        op TEXT NOT NULL,
        request_NSU TEXT,
        request_chNFe TEXT,
        cStat TEXT,
        xMotivo TEXT,
        ultNSU TEXT,
        maxNSU TEXT,
        docs INTEGER NOT NULL,
        ms INTEGER NOT NULL,
        error TEXT
      ) STRICT;
      CREATE INDEX calls_of_company ON calls (cnpj, at);
      CREATE INDEX calls_by_time ON calls (at);

      CREATE TABLE targeted_calls (
        id INTEGER PRIMARY KEY,
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        at INTEGER NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('consNSU', 'consChNFe'))
      ) STRICT;
      CREATE INDEX targeted_calls_of_company ON targeted_calls (cnpj, at);

      CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        from_NSU TEXT NOT NULL ${NSU_CHECK('from_NSU')},
        to_NSU TEXT NOT NULL ${NSU_CHECK('to_NSU')},
        found_at INTEGER NOT NULL,
        closed_at INTEGER,
        note TEXT,
        CHECK (from_NSU <= to_NSU)
      ) STRICT;
      CREATE INDEX gaps_of_company ON gaps (cnpj);

      CREATE TABLE leases (
        cnpj TEXT PRIMARY KEY NOT NULL,
        holder_id TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL CHECK (pid > 0),
        acquired_at INTEGER NOT NULL,
        renewed_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX leases_by_holder ON leases (holder_id);
    `,
  },
  {
    version: 2,
    description: 'manifestation events and targeted queries (consChNFe/consNSU), each a durable queue',
    sql: `
      -- One row per event a recipient sends for a key: the primary key is what makes
      -- "never manifest twice" hold whoever asks (the daemon, the manifest command).
      CREATE TABLE manifestations (
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        chNFe TEXT NOT NULL,
        tpEvento TEXT NOT NULL CHECK (tpEvento IN ('210200', '210210', '210220', '210240')),
        nSeqEvento INTEGER NOT NULL DEFAULT 1 CHECK (nSeqEvento BETWEEN 1 AND 99),
        xJust TEXT,
        origin TEXT NOT NULL CHECK (origin IN ('auto', 'manual')),
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed')),
        outcome TEXT,
        cStat TEXT,
        xMotivo TEXT,
        nProt TEXT,
        dhRegEvento TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        queued_at INTEGER NOT NULL,
        sent_at INTEGER,
        done_at INTEGER,
        PRIMARY KEY (cnpj, chNFe, tpEvento, nSeqEvento)
      ) STRICT;
      CREATE INDEX manifestations_due ON manifestations (cnpj, state, next_attempt_at);

      -- consChNFe (by key) and consNSU (by NSU) waiting for the hourly budget.
      CREATE TABLE targeted_queue (
        id INTEGER PRIMARY KEY,
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        op TEXT NOT NULL CHECK (op IN ('consNSU', 'consChNFe')),
        value TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('manual', 'gap', 'full-missing')),
        gap_id INTEGER REFERENCES gaps (id),
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'unavailable')),
        cStat TEXT,
        xMotivo TEXT,
        meaning TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        queued_at INTEGER NOT NULL,
        done_at INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX targeted_queue_open ON targeted_queue (cnpj, op, value) WHERE state IN ('pending', 'sending');
      CREATE INDEX targeted_queue_of_company ON targeted_queue (cnpj, state, id);

      -- summaries still waiting for their full NF-e, and targeted answers, are found by key
      CREATE INDEX documents_of_key ON documents (cnpj, chNFe, kind);
    `,
  },
  {
    version: 3,
    description: 'monthly usage and suspensions, notifications and their deliveries',
    sql: `
      -- SEFAZ calls per company and billing period (period_start: the local date it began).
      CREATE TABLE usage (
        cnpj TEXT NOT NULL REFERENCES companies (cnpj),
        period_start TEXT NOT NULL CHECK (period_start GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        calls INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (cnpj, period_start)
      ) STRICT;

      -- A row means the company's capture is suspended until reactivated.
      CREATE TABLE suspensions (
        cnpj TEXT PRIMARY KEY NOT NULL REFERENCES companies (cnpj),
        reason TEXT NOT NULL,
        period_start TEXT NOT NULL,
        suspended_at INTEGER NOT NULL
      ) STRICT;

      -- Each notification exists once (dedupe_key), and is delivered once per channel.
      CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        dedupe_key TEXT NOT NULL UNIQUE,
        cnpj TEXT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        notification_id INTEGER NOT NULL REFERENCES notifications (id),
        channel TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        delivered_at INTEGER,
        UNIQUE (notification_id, channel)
      ) STRICT;
      CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
    `,
  },
];

export const SCHEMA_VERSION = migrations.length;

/**
 * Brings the database to SCHEMA_VERSION, one transaction per migration. The version is
 * read again inside each write transaction, so two processes opening a new database at
 * once apply every migration exactly once.
 */
export function migrate(db: Database.Database, file: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  refuseNewer(version(), file);
  if (version() === SCHEMA_VERSION) return;
  for (const migration of migrations) {
    db.transaction(() => {
      const current = version();
      refuseNewer(current, file);
      if (current >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

function refuseNewer(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'STORE_SCHEMA_TOO_NEW',
      `${file} has schema version ${version}, but this dfe-sync knows versions up to ${SCHEMA_VERSION}: ` +
        'a newer dfe-sync wrote it. Run that version (or a newer one); an older one could lose its cursors.',
    );
  }
}
