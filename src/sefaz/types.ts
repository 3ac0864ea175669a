import type { TpAmb } from './endpoints.js';

/** The three queries of NFeDistribuicaoDFe (DESIGN.md §2). */
export type DistQuery =
  | { kind: 'distNSU'; ultNSU: string }
  | { kind: 'consNSU'; NSU: string }
  | { kind: 'consChNFe'; chNFe: string };

export interface DistRequest {
  tpAmb: TpAmb;
  /** IBGE code of the interested party's state (e.g. "35"); optional in the schema. */
  cUFAutor?: string;
  interested: { CNPJ: string } | { CPF: string };
  query: DistQuery;
}

/** Kind of a distributed document, from its schema attribute confirmed by its root element. */
export type DocKind = 'resNFe' | 'procNFe' | 'resEvento' | 'procEventoNFe' | 'unknown';

/**
 * What a store or a log line wants to know about a document without reading its XML.
 * For events, emitterCNPJ/emitterCPF are the event's author (SEFAZ's "CNPJ do Emitente"
 * of the event), not the NF-e's issuer.
 */
export interface DocumentMeta {
  emitterCNPJ?: string;
  emitterCPF?: string;
  emitterName?: string;
  dhEmi?: string;
  vNF?: string;
  cSitNFe?: string;
  tpNF?: string;
  nProt?: string;
  tpEvento?: string;
  xEvento?: string;
  nSeqEvento?: string;
  dhEvento?: string;
}

export interface DistDocument {
  /** 15 digits; null when SEFAZ sent none (consChNFe answers since NT 2014.002 v1.15). */
  NSU: string | null;
  /** The schema attribute as sent (e.g. "resNFe_v1.01.xsd"); "" when absent. */
  schema: string;
  kind: DocKind;
  /** The 44-character access key the document is about, when it names one. */
  chNFe: string | null;
  /** The exact decompressed bytes; null when they could not be obtained or are not XML. */
  xml: Buffer | null;
  /**
   * The docZip content base64-decoded: the gzip bytes exactly as received. When the
   * content is not valid base64 it holds the received text itself (UTF-8), so nothing
   * SEFAZ sent is ever lost; decodeError then says so.
   */
  gzip: Buffer;
  /** Why this docZip could not be fully understood; null when it was. */
  decodeError: string | null;
  meta: DocumentMeta;
}

export interface DistResult {
  tpAmb: string;
  verAplic: string;
  cStat: string;
  xMotivo: string;
  dhResp: string;
  /** 15 digits; null when absent (consChNFe answers may omit it): never invented. */
  ultNSU: string | null;
  maxNSU: string | null;
  docs: DistDocument[];
}
