import Database from 'better-sqlite3';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { SCHEMA_VERSION, StoreError, openStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { openDatabase } from '../../src/store/open.js';
import { company, state, tempDir } from './support.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('opening the state database', () => {
  it('loads the native better-sqlite3 build and writes through it', () => {
    const store = openStore(join(dir, 'state.db'));
    store.upsertCompany(company('12345678000195'));
    expect(store.getCompany('12345678000195')?.name).toBe('Company 12345678000195');
    store.close();
  });

  it('creates a new directory 0700 and a new file 0600', () => {
    const file = join(dir, 'nested', 'state', 'dfe-sync.db');
    openStore(file).close();
    expect(statSync(join(dir, 'nested', 'state')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('leaves the permissions of an existing file alone', () => {
    const file = join(dir, 'state.db');
    writeFileSync(file, '', { mode: 0o640 });
    openStore(file).close();
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('sets WAL, synchronous=FULL, foreign keys and a busy timeout on its connection', () => {
    const db = openDatabase(join(dir, 'state.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    db.close();
  });

  it('migrates an empty file to the latest version with every table', () => {
    const file = join(dir, 'state.db');
    openStore(file).close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(migrations.length);
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['calls', 'companies', 'deliveries', 'documents', 'gaps', 'leases', 'manifestations', 'notifications', 'suspensions', 'targeted_calls', 'targeted_queue', 'usage']);
    raw.close();
  });

  it('reopens an up-to-date database without migrating again and keeps its data', () => {
    const file = join(dir, 'state.db');
    const clock = new ManualClock();
    const first = openStore(file, { clock });
    first.upsertCompany(company('12345678000195', state(5, 9)));
    first.close();
    const second = openStore(file, { clock });
    expect(second.getCompany('12345678000195')?.ultNSU).toBe('000000000000005');
    second.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('refuses a database written by a newer dfe-sync, naming the file and both versions', () => {
    const file = join(dir, 'state.db');
    openStore(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    let error: unknown;
    try {
      openStore(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('STORE_SCHEMA_TOO_NEW');
    expect((error as StoreError).message).toContain(file);
    expect((error as StoreError).message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect((error as StoreError).message).toContain(`up to ${SCHEMA_VERSION}`);
  });

  it('says which file is not a database', () => {
    const file = join(dir, 'state.db');
    writeFileSync(file, 'this is not sqlite, just some text long enough to have a header of sorts.....');
    expect(() => openStore(file)).toThrow(expect.objectContaining({ code: 'STORE_OPEN_FAILED', message: expect.stringContaining(file) }));
  });
});
