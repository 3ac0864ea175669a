import { child, childText, path, rootNames } from './node.js';
import { parseXml, type XmlNode } from './xml.js';
import type { DocKind, DocumentMeta } from './types.js';

/** The schemas SEFAZ distributes, each with the root element its documents must have. */
const KNOWN_SCHEMAS: Readonly<Record<string, { kind: Exclude<DocKind, 'unknown'>; root: string }>> = {
  'resNFe_v1.00.xsd': { kind: 'resNFe', root: 'resNFe' },
  'resNFe_v1.01.xsd': { kind: 'resNFe', root: 'resNFe' },
  'procNFe_v4.00.xsd': { kind: 'procNFe', root: 'nfeProc' },
  'resEvento_v1.00.xsd': { kind: 'resEvento', root: 'resEvento' },
  'resEvento_v1.01.xsd': { kind: 'resEvento', root: 'resEvento' },
  'procEventoNFe_v1.00.xsd': { kind: 'procEventoNFe', root: 'procEventoNFe' },
};

export interface DocumentFacts {
  kind: DocKind;
  chNFe: string | null;
  meta: DocumentMeta;
  /** Why the bytes are not an XML document; null when they are. */
  error: string | null;
}

/**
 * What a decompressed document is. The schema attribute names the kind; the root
 * element must agree, otherwise the document is `unknown` and kept as is.
 */
export function describeDocument(schema: string, bytes: Buffer): DocumentFacts {
  let doc: XmlNode;
  try {
    doc = parseXml(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    return unknown(`decompressed document is not XML: ${(err as Error).message}`);
  }
  const roots = rootNames(doc);
  if (roots.length !== 1) {
    return unknown(`decompressed document is not XML: ${roots.length} root elements`);
  }
  const expected = Object.hasOwn(KNOWN_SCHEMAS, schema) ? KNOWN_SCHEMAS[schema] : undefined;
  if (expected === undefined || roots[0] !== expected.root) return unknown(null);
  const root = child(doc, expected.root) ?? {};
  switch (expected.kind) {
    case 'resNFe':
      return known('resNFe', childText(root, 'chNFe'), resNFeMeta(root));
    case 'procNFe':
      return known('procNFe', procNFeKey(root), procNFeMeta(root));
    case 'resEvento':
      return known('resEvento', childText(root, 'chNFe'), resEventoMeta(root));
    case 'procEventoNFe': {
      const inf = path(root, 'evento', 'infEvento');
      const ret = path(root, 'retEvento', 'infEvento');
      return known('procEventoNFe', childText(inf, 'chNFe') ?? childText(ret, 'chNFe'), procEventoMeta(inf, ret));
    }
  }
}

function unknown(error: string | null): DocumentFacts {
  return { kind: 'unknown', chNFe: null, meta: {}, error };
}

function known(kind: DocKind, chNFe: string | undefined, meta: DocumentMeta): DocumentFacts {
  return { kind, chNFe: chNFe ? chNFe : null, meta, error: null };
}

/** Copies the fields that are present as text; absent ones stay absent. */
function pick(entries: Array<[keyof DocumentMeta, string | undefined]>): DocumentMeta {
  const meta: DocumentMeta = {};
  for (const [key, value] of entries) if (value !== undefined && value !== '') meta[key] = value;
  return meta;
}

function resNFeMeta(r: XmlNode): DocumentMeta {
  return pick([
    ['emitterCNPJ', childText(r, 'CNPJ')],
    ['emitterCPF', childText(r, 'CPF')],
    ['emitterName', childText(r, 'xNome')],
    ['dhEmi', childText(r, 'dhEmi')],
    ['vNF', childText(r, 'vNF')],
    ['cSitNFe', childText(r, 'cSitNFe')],
    ['tpNF', childText(r, 'tpNF')],
    ['nProt', childText(r, 'nProt')],
  ]);
}

function procNFeKey(proc: XmlNode): string | undefined {
  const fromProtocol = childText(path(proc, 'protNFe', 'infProt'), 'chNFe');
  if (fromProtocol) return fromProtocol;
  // infNFe Id is "NFe" + the key.
  const id = path(proc, 'NFe', 'infNFe')?.['@_Id'];
  return typeof id === 'string' && id.startsWith('NFe') ? id.slice(3) : undefined;
}

function procNFeMeta(proc: XmlNode): DocumentMeta {
  const inf = path(proc, 'NFe', 'infNFe');
  const emit = child(inf, 'emit');
  const ide = child(inf, 'ide');
  return pick([
    ['emitterCNPJ', childText(emit, 'CNPJ')],
    ['emitterCPF', childText(emit, 'CPF')],
    ['emitterName', childText(emit, 'xNome')],
    ['dhEmi', childText(ide, 'dhEmi')],
    ['tpNF', childText(ide, 'tpNF')],
    ['vNF', childText(path(inf, 'total', 'ICMSTot'), 'vNF')],
    ['nProt', childText(path(proc, 'protNFe', 'infProt'), 'nProt')],
  ]);
}

function resEventoMeta(r: XmlNode): DocumentMeta {
  return pick([
    ['emitterCNPJ', childText(r, 'CNPJ')],
    ['emitterCPF', childText(r, 'CPF')],
    ['tpEvento', childText(r, 'tpEvento')],
    ['xEvento', childText(r, 'xEvento')],
    ['nSeqEvento', childText(r, 'nSeqEvento')],
    ['dhEvento', childText(r, 'dhEvento')],
    ['nProt', childText(r, 'nProt')],
  ]);
}

function procEventoMeta(inf: XmlNode | undefined, ret: XmlNode | undefined): DocumentMeta {
  return pick([
    ['emitterCNPJ', childText(inf, 'CNPJ')],
    ['emitterCPF', childText(inf, 'CPF')],
    ['tpEvento', childText(inf, 'tpEvento')],
    // The registration's xEvento is SEFAZ's name for the event; descEvento is the author's.
    ['xEvento', childText(ret, 'xEvento') ?? childText(path(inf, 'detEvento'), 'descEvento')],
    ['nSeqEvento', childText(inf, 'nSeqEvento')],
    ['dhEvento', childText(inf, 'dhEvento')],
    ['nProt', childText(ret, 'nProt')],
  ]);
}

