import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/reference.js';
import { compileForNode, tempDir } from './support.js';

const CNPJS = ['12345678000195', '11222333000181', 'ABCDEFGHIJKL80'];
// Batches committed before each SIGKILL: early, mid-stream, and late, so kills land at
// many different points of a commit (and during the first one's migrations).
const KILL_AFTER = [0, 1, 3, 7, 12, 20, 33, 50, 2, 75, 5, 110];

let dir: string;
let cleanup: () => void;
let writer: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  writer = compileForNode(join(projectRoot, 'test/store/fixtures/crashWriter.ts'), join(dir, 'build'));
});
afterAll(() => cleanup());

/** Starts the writer and SIGKILLs it once it has reported `batches` commits. */
async function runAndKill(file: string, batches: number): Promise<void> {
  const child = spawn(process.execPath, [writer, file, ...CNPJS], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen >= batches) child.kill('SIGKILL');
  });
  if (batches === 0) child.kill('SIGKILL');
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  if (signal !== 'SIGKILL') throw new Error(`the writer exited by itself (code ${code}): ${stderr}`);
}

interface Check {
  cnpj: string;
  ultNSU: string | null;
  maxStored: string | null;
  count: number;
  documents: number;
  calls: number;
  lastRequest: string | null;
}

function inspect(file: string): { integrity: string; companies: Check[] } {
  const db = new Database(file, { fileMustExist: true });
  const integrity = db.pragma('integrity_check', { simple: true }) as string;
  const companies = db
    .prepare(
      `SELECT c.cnpj, c.ultNSU, c.documents,
         (SELECT max(NSU) FROM documents d WHERE d.cnpj = c.cnpj) AS maxStored,
         (SELECT count(*) FROM documents d WHERE d.cnpj = c.cnpj) AS count,
         (SELECT count(*) FROM calls k WHERE k.cnpj = c.cnpj) AS calls,
         (SELECT k.ultNSU FROM calls k WHERE k.cnpj = c.cnpj ORDER BY k.id DESC LIMIT 1) AS lastRequest
       FROM companies c ORDER BY c.cnpj`,
    )
    .all() as Check[];
  db.close();
  return { integrity, companies };
}

describe('crash safety', () => {
  it(`leaves a consistent database after ${KILL_AFTER.length} SIGKILLs of a process committing batches`, async () => {
    const file = join(dir, 'state', 'dfe-sync.db');
    let progressed = 0;
    for (const batches of KILL_AFTER) {
      await runAndKill(file, batches);
      let state: ReturnType<typeof inspect>;
      try {
        state = inspect(file);
      } catch {
        // Killed before its first migration committed (SIGKILL right after spawn).
        expect(batches).toBe(0);
        continue;
      }
      expect(state.integrity).toBe('ok');
      for (const c of state.companies) {
        const context = `${c.cnpj} after a kill at ${batches} batches`;
        // The cursor is exactly the highest NSU on disk: nothing lost, nothing skipped...
        expect(c.ultNSU ?? null, context).toBe(c.maxStored);
        // ...and every NSU from 1 to the cursor is there once (UNIQUE + count).
        expect(c.count, context).toBe(Number(c.ultNSU ?? 0));
        expect(c.documents, context).toBe(c.count);
        // The call log moved with the cursor, in the same transactions.
        expect(c.lastRequest ?? null, context).toBe(c.ultNSU);
      }
      progressed = state.companies.reduce((sum, c) => sum + c.count, 0);
    }
    expect(progressed).toBeGreaterThan(0);
  });
});
