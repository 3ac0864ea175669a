import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DfeSyncError } from '../errors.js';
import { StoreError } from './errors.js';
import { migrate } from './migrations.js';

const BUSY_TIMEOUT_MS = 5000;

/**
 * Creates the state file private to the service user where it is new (documents and
 * certificate facts are the company's business): directory 0700, file 0600. SQLite
 * gives the -wal and -shm files the database file's permissions.
 */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Opens (creating if needed) and migrates the state database.
 * synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and a
 * lost commit would make us repeat an older ultNSU, which SEFAZ answers with a 656.
 */
export function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (file !== ':memory:') createPrivately(file);
    db = new Database(file);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof DfeSyncError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError(
      'STORE_OPEN_FAILED',
      `cannot open the state database ${file}: ${reason} (check that the path is a dfe-sync database and that the service user may read and write it and its directory)`,
      error,
    );
  }
}
