import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** What a stored document needs to become a file. */
export interface DocumentForFile {
  cnpj: string;
  NSU: string | null;
  kind: string;
  chNFe: string | null;
  gzip: Buffer;
}

/**
 * `<cnpj>/<NSU>-<kind>[-<key>].xml`, or `<cnpj>/key-<key>-<kind>.xml` for a document that
 * came without an NSU (consChNFe answers). A docZip that never decompressed is written
 * as it came, with `.docZip` in place of `.xml`, so nothing stored is left out.
 */
export function documentFileName(doc: DocumentForFile, decoded: boolean): string {
  const ext = decoded ? 'xml' : 'docZip';
  if (doc.NSU === null) return join(doc.cnpj, `key-${doc.chNFe ?? 'unknown'}-${doc.kind}.${ext}`);
  return join(doc.cnpj, `${doc.NSU}-${doc.kind}${doc.chNFe === null ? '' : `-${doc.chNFe}`}.${ext}`);
}

export type WriteOutcome = 'written' | 'unchanged';

function sameContent(path: string, bytes: Buffer): boolean {
  try {
    if (statSync(path).size !== bytes.length) return false;
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}

/**
 * Writes one document under `dir`, byte-identical to the decompressed docZip, atomically
 * (a temporary file renamed over the target) so another system picking files up never
 * reads half a document; a file already holding the same bytes is left alone, so running
 * it again is idempotent.
 */
export function writeDocumentFile(dir: string, doc: DocumentForFile): { path: string; outcome: WriteOutcome } {
  let bytes: Buffer;
  let decoded = true;
  try {
    bytes = gunzipSync(doc.gzip);
  } catch {
    bytes = doc.gzip;
    decoded = false;
  }
  const path = join(dir, documentFileName(doc, decoded));
  if (sameContent(path, bytes)) return { path, outcome: 'unchanged' };
  mkdirSync(join(dir, doc.cnpj), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, bytes, { mode: 0o640 });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  return { path, outcome: 'written' };
}
