import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/reference.js';

const dir = join(projectRoot, 'src', 'rules');
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => ({ f, text: readFileSync(join(dir, f), 'utf8') }));
/** Pure modules only: the engine's siblings, identifiers, the cStat catalog and the error base. */
const ALLOWED = /^(\.\/[a-zA-Z]+\.js|\.\.\/sefaz\/identifiers\.js|\.\.\/sefaz\/catalog\.js|\.\.\/errors\.js|\.\.\/time\/zone\.js)$/;

describe('src/rules is pure', () => {
  it('imports nothing that does I/O', () => {
    expect(sources.length).toBeGreaterThan(0);
    for (const { f, text } of sources) {
      for (const m of text.matchAll(/(?:from|import) '([^']+)'/g)) expect(`${f}: ${m[1]}`).toMatch(new RegExp(`: ${ALLOWED.source.slice(1)}`));
      expect(text, f).not.toMatch(/\bimport\(|\brequire\(/);
    }
  });
  it('reads neither the clock nor a random source of its own', () => {
    for (const { f, text } of sources) {
      expect(text, f).not.toMatch(/Date\.now|Math\.random|new Date\(\)|performance\.now|process\./);
    }
  });
});
