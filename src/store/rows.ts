import type { DocKind } from '../sefaz/types.js';
import type { CallOp, CompanyRecord, Gap, Lease, StoredDocument } from './types.js';

/** Row shapes as SQLite returns them, and their mapping to the store's records. */

export interface CompanyRow {
  cnpj: string;
  name: string;
  enabled: number;
  capture_window: string;
  rule_state: string;
  ultNSU: string | null;
  maxNSU: string | null;
  next_dist_at: number | null;
  next_dist_reason: string | null;
  blocked_until: number | null;
  stopped: string | null;
  documents: number;
  last_call_at: number | null;
  last_call_op: string | null;
  last_cStat: string | null;
  last_xMotivo: string | null;
  last_docs: number | null;
  last_ms: number | null;
  last_error: string | null;
  cert_cnpj: string | null;
  cert_subject: string | null;
  cert_not_after: number | null;
  cert_file: string | null;
  cert_mtime: number | null;
  cert_saved_at: number | null;
  created_at: number;
  updated_at: number;
}

export function companyFromRow<S>(row: CompanyRow): CompanyRecord<S> {
  return {
    cnpj: row.cnpj,
    name: row.name,
    enabled: row.enabled === 1,
    window: row.capture_window,
    state: JSON.parse(row.rule_state) as S,
    ultNSU: row.ultNSU,
    maxNSU: row.maxNSU,
    nextDistAt: row.next_dist_at,
    nextDistReason: row.next_dist_reason,
    blockedUntil: row.blocked_until,
    stopped: row.stopped,
    documents: row.documents,
    lastCall:
      row.last_call_at === null
        ? null
        : {
            at: row.last_call_at,
            op: row.last_call_op as CallOp,
            cStat: row.last_cStat,
            xMotivo: row.last_xMotivo,
            docs: row.last_docs ?? 0,
            ms: row.last_ms ?? 0,
            error: row.last_error,
          },
    certificate:
      row.cert_saved_at === null
        ? null
        : {
            cnpj: row.cert_cnpj,
            subject: row.cert_subject ?? '',
            notAfter: row.cert_not_after ?? 0,
            file: row.cert_file ?? '',
            mtimeMs: row.cert_mtime ?? 0,
            savedAt: row.cert_saved_at,
          },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface DocumentRow {
  id: number;
  cnpj: string;
  NSU: string | null;
  kind: string;
  schema: string;
  chNFe: string | null;
  gzip: Buffer;
  decode_error: string | null;
  received_at: number;
  source_op: string;
}

export function documentFromRow(row: DocumentRow): StoredDocument {
  return {
    id: row.id,
    cnpj: row.cnpj,
    NSU: row.NSU,
    kind: row.kind as DocKind,
    schema: row.schema,
    chNFe: row.chNFe,
    gzip: row.gzip,
    decodeError: row.decode_error,
    receivedAt: row.received_at,
    sourceOp: row.source_op as CallOp,
  };
}

export interface GapRow {
  id: number;
  cnpj: string;
  from_NSU: string;
  to_NSU: string;
  found_at: number;
  closed_at: number | null;
  note: string | null;
}

export function gapFromRow(row: GapRow): Gap {
  return {
    id: row.id,
    cnpj: row.cnpj,
    fromNSU: row.from_NSU,
    toNSU: row.to_NSU,
    foundAt: row.found_at,
    closedAt: row.closed_at,
    note: row.note,
  };
}

export interface LeaseRow {
  cnpj: string;
  holder_id: string;
  host: string;
  pid: number;
  acquired_at: number;
  renewed_at: number;
  expires_at: number;
}

export function leaseFromRow(row: LeaseRow): Lease {
  return {
    cnpj: row.cnpj,
    id: row.holder_id,
    host: row.host,
    pid: row.pid,
    acquiredAt: row.acquired_at,
    renewedAt: row.renewed_at,
    expiresAt: row.expires_at,
  };
}
