import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { CompanyState } from '../rules/state.js';
import { SCHEMA_VERSION, Store, StoreError, type OpenStoreOptions } from '../store/index.js';

/**
 * Opens the state database for reading only, or returns null when it does not exist.
 * `status` and `export` are run by operators, often while the daemon works: they must
 * never create the file (with the wrong owner), migrate it, or take a write lock.
 */
export function openStateReadOnly(file: string, options: OpenStoreOptions = {}): Store<CompanyState> | null {
  if (!existsSync(file)) return null;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'STORE_SCHEMA_TOO_NEW',
        `${file} has schema version ${version}, but this dfe-sync knows versions up to ${SCHEMA_VERSION}: a newer dfe-sync wrote it; run that version`,
      );
    }
    if (version < SCHEMA_VERSION) {
      throw new StoreError(
        'STORE_OPEN_FAILED',
        `${file} has schema version ${version}, older than this dfe-sync's ${SCHEMA_VERSION}: start the daemon (dfe-sync run) once, which upgrades it, then try again`,
      );
    }
    return new Store<CompanyState>(db, file, options);
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError(
      'STORE_OPEN_FAILED',
      `cannot read the state database ${file}: ${reason} (run this as the service's user, e.g. sudo -u dfe-sync dfe-sync …)`,
      error,
    );
  }
}
