import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * docZip content: the document gzipped, then base64 (retDistDFeInt_v1.01.xsd). Real AN
 * captures carry the gzip header `1f8b 0800 00000000 04 00` (MTIME 0, XFL 4, OS 0).
 */
const XFL_OFFSET = 8;
const OS_OFFSET = 9;

/** A decompressed document larger than this is refused: a few kB of gzip must not eat the daemon's memory. */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Gzips a document with the header bytes SEFAZ uses, and base64-encodes it. */
export function encodeDocZip(xml: Buffer | string): string {
  const gz = gzipSync(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml);
  // The header is outside the CRC, so matching SEFAZ's bytes is safe.
  gz[XFL_OFFSET] = 4;
  gz[OS_OFFSET] = 0;
  return gz.toString('base64');
}

export interface DecodedDocZip {
  /** The base64-decoded bytes; the text itself (UTF-8) when it is not base64. */
  gzip: Buffer;
  /** The decompressed bytes, exactly; null when they could not be obtained. */
  bytes: Buffer | null;
  error: string | null;
}

/** Undoes encodeDocZip, saying why instead of throwing when it cannot. */
export function decodeDocZip(base64: string): DecodedDocZip {
  // base64Binary may be wrapped across lines; whitespace carries no data.
  const compact = base64.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    return {
      gzip: Buffer.from(base64, 'utf8'),
      bytes: null,
      error: `docZip content is not valid base64 (${compact.length} characters); kept as received`,
    };
  }
  const gzip = Buffer.from(compact, 'base64');
  try {
    return { gzip, bytes: gunzipSync(gzip, { maxOutputLength: MAX_DOCUMENT_BYTES }), error: null };
  } catch (err) {
    return { gzip, bytes: null, error: `docZip content does not gunzip (${gzip.length} bytes): ${(err as Error).message}` };
  }
}
