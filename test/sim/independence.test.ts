/**
 * The simulator is an independent implementation of SEFAZ's side: nothing it loads, even
 * indirectly, may come from the client's rules, sync, daemon or store (DESIGN.md §3), or
 * a bug shared by both would pass every test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/reference.js';

const FORBIDDEN = ['src/rules/', 'src/sync/', 'src/daemon/', 'src/store/'];
/** The client's event builder, signer, envelope and parser: the simulator verifies events on its own. */
const CLIENT_EVENTS = ['src/cert/sign.ts', 'src/sefaz/events.ts', 'src/sefaz/eventEnvelope.ts', 'src/sefaz/eventResponse.ts'];

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

function closure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...localImports(f));
  }
  return seen;
}

describe('src/sim', () => {
  it('loads nothing from src/rules, src/sync, src/daemon or src/store, directly or not', () => {
    const simDir = join(projectRoot, 'src', 'sim');
    const entries = readdirSync(simDir).filter((f) => f.endsWith('.ts')).map((f) => join(simDir, f));
    entries.push(join(projectRoot, 'src', 'cli', 'commands', 'sim.ts'));
    const loaded = [...closure(entries)].map((f) => relative(projectRoot, f));
    expect(loaded).toContain('src/sim/service.ts');
    expect(loaded.some((f) => f.startsWith('src/sefaz/'))).toBe(true);
    expect(loaded.filter((f) => FORBIDDEN.some((dir) => f.startsWith(dir)))).toEqual([]);
  });

  it("verifies events without the client's event builder, signer, envelope or parser", () => {
    const simDir = join(projectRoot, 'src', 'sim');
    const entries = readdirSync(simDir).filter((f) => f.endsWith('.ts')).map((f) => join(simDir, f));
    const loaded = [...closure(entries)].map((f) => relative(projectRoot, f));
    expect(loaded).toContain('src/sim/eventSignature.ts');
    expect(loaded.filter((f) => CLIENT_EVENTS.includes(f))).toEqual([]);
  });
});
