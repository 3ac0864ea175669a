import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { sefazSchemaPath } from '../helpers/reference.js';

/**
 * Validates documents against an official schema of schemas/sefaz with
 * xmllint-wasm (the folder's other .xsd files preloaded for include/import), in a single
 * xmllint run. Returns each document's error messages ([] when valid).
 */
export async function validateAll(folder: string, mainXsd: string, xmls: readonly string[]): Promise<string[][]> {
  const dir = sefazSchemaPath(folder);
  const preload = readdirSync(dir)
    .filter((f) => f.endsWith('.xsd') && f !== mainXsd)
    .map((f) => ({ fileName: f, contents: readFileSync(join(dir, f), 'utf8') }));
  const schema = { fileName: mainXsd, contents: readFileSync(join(dir, mainXsd), 'utf8') };
  const names = xmls.map((_, i) => `doc-${i}.xml`);
  const r = await validateXML({
    xml: xmls.map((contents, i) => ({ fileName: names[i]!, contents })),
    schema,
    preload,
    maxMemoryPages: 4096,
  });
  const out = names.map((): string[] => []);
  for (const e of r.errors) {
    // xmllint closes each invalid file with "<file> fails to validate", which carries no position.
    if (e.loc === null && /fails to validate$/.test(e.rawMessage.trim())) continue;
    const i = e.loc === null ? -1 : names.indexOf(e.loc.fileName);
    if (i < 0) throw new Error(`xmllint: ${e.rawMessage}`);
    out[i]!.push(e.message);
  }
  return out;
}
