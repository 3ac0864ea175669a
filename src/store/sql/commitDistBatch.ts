import type { DistDocument } from '../../sefaz/types.js';
import type { StoreContext } from '../context.js';
import { StoreError } from '../errors.js';
import { SET_STATE_COLUMNS, stateColumns, type RuleStateColumns } from '../state.js';
import type { CallRecord, GapInput, StoredDocumentRef, TargetedResult } from '../types.js';
import { finishTargeted } from './finishTargeted.js';
import { queueManifestations } from './queueManifestations.js';
import { requireCompany } from './requireCompany.js';

export interface DistBatch<S extends RuleStateColumns> {
  docs: readonly DistDocument[];
  /** The company's rule state after this answer: its ultNSU is the new cursor. */
  state: S;
  call: CallRecord;
  gaps?: readonly GapInput[];
  /** Queue a Ciência da Operação for each new summary of an authorized NF-e (manifest: ciencia). */
  autoManifest?: boolean;
  /** The targeted query this answers, and what became of it. */
  targeted?: { id: number; result: TargetedResult };
}

export interface CommitResult {
  inserted: StoredDocumentRef[];
  /** Documents of the batch already stored (same NSU, or same key when without NSU). */
  duplicates: number;
}

const INSERT_DOCUMENT = `
  INSERT INTO documents (cnpj, NSU, kind, schema, chNFe, emitter_CNPJ, emitter_CPF, emitter_name,
    dhEmi, vNF, cSitNFe, tpNF, nProt, tpEvento, xEvento, nSeqEvento, dhEvento,
    gzip, decode_error, received_at, source_op)
  VALUES (@cnpj, @NSU, @kind, @schema, @chNFe, @emitterCNPJ, @emitterCPF, @emitterName,
    @dhEmi, @vNF, @cSitNFe, @tpNF, @nProt, @tpEvento, @xEvento, @nSeqEvento, @dhEvento,
    @gzip, @decodeError, @receivedAt, @sourceOp)
  ON CONFLICT DO NOTHING`;

/** A stored document that is this one: same kind and key (and event type and sequence), stored by key or with the same NSU. */
const SAME_DOCUMENT = `
  SELECT id, NSU FROM documents
  WHERE cnpj = @cnpj AND kind = @kind AND chNFe = @chNFe
    AND coalesce(tpEvento, '') = @tpEvento AND coalesce(nSeqEvento, '') = @nSeqEvento
    AND (NSU IS NULL OR @NSU IS NULL OR NSU = @NSU)
  LIMIT 1`;
const GIVE_NSU = 'UPDATE documents SET NSU = ? WHERE id = ?';

function sameParams(cnpj: string, doc: DistDocument): Record<string, unknown> {
  return { cnpj, kind: doc.kind, chNFe: doc.chNFe, tpEvento: doc.meta.tpEvento ?? '', nSeqEvento: doc.meta.nSeqEvento ?? '', NSU: doc.NSU };
}

const INSERT_GAP = `
  INSERT INTO gaps (cnpj, from_NSU, to_NSU, found_at, note) VALUES (?, ?, ?, ?, ?)`;

const INSERT_CALL = `
  INSERT INTO calls (cnpj, at, op, request_NSU, request_chNFe, cStat, xMotivo, ultNSU, maxNSU, docs, ms, error)
  VALUES (@cnpj, @at, @op, @requestNSU, @requestChNFe, @cStat, @xMotivo, @ultNSU, @maxNSU, @docs, @ms, @error)`;

const SAVE_COMPANY = `
  UPDATE companies SET
    ${SET_STATE_COLUMNS},
    documents = documents + @inserted,
    last_call_at = @at, last_call_op = @op, last_cStat = @cStat, last_xMotivo = @xMotivo,
    last_docs = @docs, last_ms = @ms, last_error = @error,
    updated_at = @now
  WHERE cnpj = @cnpj`;

function documentParams(cnpj: string, doc: DistDocument, receivedAt: number, sourceOp: string): Record<string, unknown> {
  const m = doc.meta;
  return {
    cnpj,
    NSU: doc.NSU,
    kind: doc.kind,
    schema: doc.schema,
    chNFe: doc.chNFe,
    emitterCNPJ: m.emitterCNPJ ?? null,
    emitterCPF: m.emitterCPF ?? null,
    emitterName: m.emitterName ?? null,
    dhEmi: m.dhEmi ?? null,
    vNF: m.vNF ?? null,
    cSitNFe: m.cSitNFe ?? null,
    tpNF: m.tpNF ?? null,
    nProt: m.nProt ?? null,
    tpEvento: m.tpEvento ?? null,
    xEvento: m.xEvento ?? null,
    nSeqEvento: m.nSeqEvento ?? null,
    dhEvento: m.dhEvento ?? null,
    gzip: doc.gzip,
    decodeError: doc.decodeError,
    receivedAt,
    sourceOp,
  };
}

function callParams(cnpj: string, call: CallRecord): Record<string, unknown> {
  return {
    cnpj,
    at: Math.round(call.at),
    op: call.op,
    requestNSU: call.requestNSU ?? null,
    requestChNFe: call.requestChNFe ?? null,
    cStat: call.cStat,
    xMotivo: call.xMotivo,
    ultNSU: call.ultNSU ?? null,
    maxNSU: call.maxNSU ?? null,
    docs: call.docs,
    ms: Math.round(call.ms),
    error: call.error ?? null,
  };
}

/**
 * Stores an answer in ONE transaction: its documents (those already stored are
 * skipped), the gaps it revealed, the call in the log, and the company's new state,
 * cursor included. A crash anywhere leaves either all of it or none of it, so the
 * cursor never passes a document that is not on disk (DESIGN.md §4.1).
 *
 * Only a distNSU answer may move the cursor (§4.4): any other call whose state carries
 * a different ultNSU is refused, whatever the caller computed.
 */
export function commitDistBatch<S extends RuleStateColumns>(
  ctx: StoreContext,
  cnpj: string,
  batch: DistBatch<S>,
): CommitResult {
  const columns = stateColumns(cnpj, batch.state);
  const call = callParams(cnpj, batch.call);
  return ctx.db
    .transaction((): CommitResult => {
      const stored = requireCompany(ctx, cnpj, `store a ${batch.call.op} answer`);
      if (batch.call.op !== 'distNSU' && columns.ultNSU !== stored.ultNSU) {
        throw new StoreError(
          'STORE_TARGETED_CALL_MOVED_CURSOR',
          `refusing to store a ${batch.call.op} answer for ${cnpj} that moves ultNSU from ${stored.ultNSU ?? 'none'} ` +
            `to ${columns.ultNSU ?? 'none'}: only distNSU answers move the cursor (a bug in the caller, nothing was stored)`,
        );
      }
      const requested = batch.call.requestNSU ?? null;
      if (batch.call.op === 'distNSU' && stored.ultNSU !== null && requested !== null && requested !== stored.ultNSU) {
        // Another process (a lease lost mid-call) moved the cursor since this request left:
        // storing its answer would move the cursor back and break SEFAZ's sequence.
        throw new StoreError(
          'STORE_STALE_BATCH',
          `refusing a distNSU answer for ${cnpj} requested from ultNSU ${requested}: the stored cursor is already ${stored.ultNSU} ` +
            '(another process worked this CNPJ meanwhile; nothing was stored)',
        );
      }
      const now = ctx.clock.now();
      const inserted: StoredDocumentRef[] = [];
      batch.docs.forEach((doc, index) => {
        // The same document may come by key (consChNFe, no NSU) and by NSU (distNSU, consNSU),
        // in either order: it is stored once, and gets its NSU when it comes with one.
        if (doc.chNFe !== null) {
          const same = ctx.stmt(SAME_DOCUMENT).get(sameParams(cnpj, doc)) as { id: number; NSU: string | null } | undefined;
          if (same !== undefined) {
            if (same.NSU === null && doc.NSU !== null) ctx.stmt(GIVE_NSU).run(doc.NSU, same.id);
            return;
          }
        }
        const result = ctx.stmt(INSERT_DOCUMENT).run(documentParams(cnpj, doc, now, batch.call.op));
        if (result.changes === 1) {
          inserted.push({ id: Number(result.lastInsertRowid), index, NSU: doc.NSU, kind: doc.kind, chNFe: doc.chNFe });
        }
      });
      for (const gap of batch.gaps ?? []) {
        ctx.stmt(INSERT_GAP).run(cnpj, gap.fromNSU, gap.toNSU, now, gap.note ?? null);
      }
      if (batch.autoManifest === true) {
        // In the same transaction as the summary: a crash can't store one without the other.
        const summaries = inserted.filter((ref) => ref.kind === 'resNFe' && ref.chNFe !== null && batch.docs[ref.index]!.meta.cSitNFe === '1');
        queueManifestations(ctx, cnpj, summaries.map((ref) => ({ chNFe: ref.chNFe!, tpEvento: '210210' as const, origin: 'auto' as const })), now);
      }
      if (batch.targeted !== undefined) finishTargeted(ctx, batch.targeted.id, batch.targeted.result, now);
      ctx.stmt(INSERT_CALL).run(call);
      const { at, op, cStat, xMotivo, docs, ms, error } = call;
      ctx.stmt(SAVE_COMPANY).run({ cnpj, ...columns, at, op, cStat, xMotivo, docs, ms, error, inserted: inserted.length, now });
      return { inserted, duplicates: batch.docs.length - inserted.length };
    })
    .immediate();
}
