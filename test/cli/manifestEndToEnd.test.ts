/** The pinned forms of manifest, fetch and pending, through the built `dfe-sync` (npm run build). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, projectRoot } from '../helpers/reference.js';
import { accessKey, cnpj, tempDir, writeConfig } from '../status/support.js';

const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const A = cnpj('112223330001');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

describe.skipIf(!available('the built CLI (npm run build)', existsSync(CLI)))('manifest, fetch and pending, end to end', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('cli-full'));
    file = writeConfig(dir, [{ cnpj: A, name: 'Alfa', manifest: 'ciencia' }]);
  });
  afterAll(() => cleanup());

  it('manifest queues once (before the daemon ever ran) and a repeat exits 0 without queueing', () => {
    const first = cli('manifest', '--config', file, '--cnpj', A, '--key', accessKey(1), '--event', 'ciencia');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe(`queued: Ciência da Operação for ${accessKey(1)}; the running daemon sends it within seconds (or the next \`dfe-sync run\`)\n`);
    const again = cli('manifest', '--config', file, '--cnpj', A, '--key', accessKey(1), '--event', 'ciencia');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^not queued again: .*\(state pending\)/);
  });

  it('manifest refuses what SEFAZ would refuse, with exit code 2', () => {
    const r = cli('manifest', '--config', file, '--cnpj', A, '--key', accessKey(2), '--event', 'nao-realizada', '--justification', 'curta');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^dfe-sync: the justification \(xJust\) must have 15 to 255 characters, not 5/);
    const missing = cli('manifest', '--config', file, '--cnpj', A, '--key', accessKey(2));
    expect(missing.status).toBe(2);
  });

  it('fetch queues several keys, or one NSU, and refuses both at once', () => {
    const keys = cli('fetch', '--config', file, '--cnpj', A, '--key', accessKey(3), '--key', accessKey(4));
    expect(keys.status, keys.stderr).toBe(0);
    expect(keys.stdout).toMatch(/queued, id 1\n.*queued, id 2\n2 targeted queries wait/);
    const one = cli('fetch', '--config', file, '--cnpj', A, '--nsu', '17');
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toContain('000000000000017  queued, id 3');
    const both = cli('fetch', '--config', file, '--cnpj', A, '--key', accessKey(5), '--nsu', '18');
    expect(both.status).toBe(2);
  });

  it('status --json counts the queue; pending --json lists nothing before a summary arrived', () => {
    const status = cli('status', '--config', file, '--json');
    expect(status.status, status.stderr).toBe(0);
    const company = (JSON.parse(status.stdout) as { companies: Record<string, unknown>[] }).companies[0]!;
    expect(company).toMatchObject({ cnpj: A, queue: 3, targetedCallsLastHour: 0, summariesPending: 0 });
    const pending = cli('pending', '--config', file, '--json');
    expect(pending.status, pending.stderr).toBe(0);
    expect(JSON.parse(pending.stdout)).toMatchObject({ databaseFound: true, total: 0, keys: [] });
    const table = cli('pending', '--config', file, '--cnpj', A);
    expect(table.stdout).toContain('No key is waiting for its full XML.');
  });
});
