import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { ProcessIsAlive } from './liveness.js';

/** What every operation under sql/ receives: the connection, its statement cache, time. */
export interface StoreContext {
  readonly db: Database.Database;
  readonly file: string;
  readonly clock: Clock;
  readonly processIsAlive: ProcessIsAlive;
  /** The prepared statement for this SQL text, compiled once per store. */
  stmt(sql: string): Database.Statement;
}

export function createContext(
  db: Database.Database,
  file: string,
  clock: Clock,
  processIsAlive: ProcessIsAlive,
): StoreContext {
  const cache = new Map<string, Database.Statement>();
  return {
    db,
    file,
    clock,
    processIsAlive,
    stmt(sql) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
