import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeDocZip, encodeDocZip, MAX_DOCUMENT_BYTES } from '../../src/sefaz/docZip.js';
import { parseDistResponse } from '../../src/sefaz/response.js';
import { escapeXml } from '../../src/sefaz/xml.js';
import { resNFeXml, retDistDFeInt } from './retDist.js';

const KEY = '41241275104406000547550010001618511133300785';

describe('encodeDocZip', () => {
  it('writes the gzip header of real AN captures: MTIME 0, XFL 4, OS 0', () => {
    const gz = Buffer.from(encodeDocZip('<a/>'), 'base64');
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000400');
    expect(gunzipSync(gz).toString('utf8')).toBe('<a/>');
  });

  it('decodes what real SEFAZ docZips look like', () => {
    // The docZip of real_AN_retDistDFeInt_consChNFe_138_2026_noNSU.xml, start of the gzip stream only.
    const real = 'H4sIAAAAAAAEAIVS226CQBD9FcO77MyyXDNuYry2UbRqL+kbAgqtggUqfn5XsW3sS19mZ8+ey2SyVMSlP4xbp/0uK71TGXW0pKoOHmN1Xeu1oefFlnEAZC/TyTJM4n2g/ZDT/8ntNCurIAtjrXWMizLIOxrqgFePG/0hL6pgt0nLMNjpabbR1wXLNrEmKUzUiNIwuQWmZVvCFqhSAF3XNAHOrXC4y120DEdwMEAQazTU8+f38lZD7ALSyc/3sez6vdmi2xotZo/z1mTV7xJrHuhuIG0UgMraRnSIKYCiZLBPJQdutcFso7tCx0PXA2iDoSqxhkDVwR9KJHY56aiK5QjUTQWdLxSl26dgJ/N1kEdi8v7QE6+jJPkcv0Xj5/6H6/jTjvJqSCp0EYfrKv+Ty8Hj4jf3yqFsXuSVxPO60DVsg4Nt2sQamMJlWp03owb5bok1n0B+AQupGY8NAgAA';
    const header = (b64: string) => Buffer.from(b64, 'base64').subarray(0, 10).toString('hex');
    expect(header(encodeDocZip('x'))).toBe(header(real));
    const decoded = decodeDocZip(real);
    expect(decoded.error).toBeNull();
    expect(decoded.bytes?.toString('utf8')).toMatch(/^<resNFe .*<\/resNFe>$/);
  });
});

describe('decodeDocZip', () => {
  it('accepts base64 wrapped across lines', () => {
    const b64 = encodeDocZip('<resNFe/>');
    const wrapped = b64.replace(/(.{16})/g, '$1\r\n');
    expect(decodeDocZip(wrapped).bytes?.toString('utf8')).toBe('<resNFe/>');
  });

  it('says why instead of throwing', () => {
    expect(decodeDocZip('abc').error).toMatch(/not valid base64/);
    expect(decodeDocZip('ab$=').error).toMatch(/not valid base64/);
    expect(decodeDocZip('QUJD').error).toMatch(/does not gunzip/);
  });

  it('refuses a decompression bomb instead of eating the memory', () => {
    const bomb = encodeDocZip(Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20));
    const decoded = decodeDocZip(bomb);
    expect(decoded.bytes).toBeNull();
    expect(decoded.error).toMatch(/does not gunzip/);
    expect(decoded.gzip.equals(Buffer.from(bomb, 'base64'))).toBe(true);
  });

  it('round-trips arbitrary bytes exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const decoded = decodeDocZip(encodeDocZip(Buffer.from(bytes)));
        expect(decoded.error).toBeNull();
        expect(decoded.bytes?.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });
});

// Text as SEFAZ's TString allows it: printable, no leading or trailing blank.
const tstring = fc
  .string({ unit: fc.oneof(fc.constantFrom('&', '<', '>', '"', "'", 'ç', 'ã', 'É', '€', '😀', ' '), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 60 })
  .map((s) => s.replace(/[\u0000-\u001f\u007f\ufffe\uffff]/g, '').trim())
  .filter((s) => s.length > 0);

/** A resNFe as real bytes can come: optional BOM and declaration, CRLF or LF, indentation. */
const resNFeBytes = fc
  .record({ name: tstring, bom: fc.boolean(), decl: fc.boolean(), eol: fc.constantFrom('', '\n', '\r\n', '\n  ') })
  .map(({ name, bom, decl, eol }) => {
    const body = resNFeXml({ chNFe: KEY, xNome: name }).replace(/></g, `>${eol}<`);
    const text = (decl ? `<?xml version="1.0" encoding="UTF-8"?>${eol}` : '') + body;
    return { name, bytes: Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]) };
  });

describe('encodeDocZip → parseDistResponse', () => {
  it('gives back the exact bytes of any XML document, with its facts', () => {
    fc.assert(
      fc.property(fc.array(resNFeBytes, { minLength: 1, maxLength: 5 }), fc.constantFrom('soap12', 'soap11', 'bare') as fc.Arbitrary<'soap12' | 'soap11' | 'bare'>, (docs, wrap) => {
        const body = retDistDFeInt({
          cStat: '138', ultNSU: String(docs.length), maxNSU: '99',
          docs: docs.map((d, i) => ({ NSU: String(i + 1), schema: 'resNFe_v1.01.xsd', xml: d.bytes })),
        }, wrap);
        const got = parseDistResponse(body);
        expect(got.docs).toHaveLength(docs.length);
        got.docs.forEach((doc, i) => {
          expect(doc.decodeError).toBeNull();
          expect(doc.xml?.equals(docs[i]!.bytes)).toBe(true);
          expect(doc.NSU).toBe(String(i + 1).padStart(15, '0'));
          expect(doc.kind).toBe('resNFe');
          expect(doc.chNFe).toBe(KEY);
          expect(doc.meta.emitterName).toBe(docs[i]!.name);
        });
      }),
    );
  });

  it('never throws for any docZip content: bytes are either the document or kept raw with a reason', () => {
    const content = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => encodeDocZip(Buffer.from(b))),
      fc.string({ maxLength: 200 }).map(escapeXml),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
    );
    fc.assert(
      fc.property(fc.array(content, { minLength: 1, maxLength: 6 }), (raws) => {
        const got = parseDistResponse(retDistDFeInt({
          cStat: '138', ultNSU: '1', maxNSU: '1', docs: raws.map((raw, i) => ({ NSU: String(i + 1), schema: 'resNFe_v1.01.xsd', raw })),
        }));
        expect(got.docs).toHaveLength(raws.length);
        for (const doc of got.docs) {
          if (doc.decodeError === null) {
            expect(doc.xml).not.toBeNull();
            expect(gunzipSync(doc.gzip).equals(doc.xml!)).toBe(true);
          } else {
            expect(doc.xml).toBeNull();
            expect(doc.kind).toBe('unknown');
          }
        }
      }),
    );
  });
});
