import type { StoreContext } from '../context.js';
import { documentFromRow, type DocumentRow } from '../rows.js';
import type { StoredDocument } from '../types.js';

const COLUMNS = 'id, cnpj, NSU, kind, schema, chNFe, gzip, decode_error, received_at, source_op';
const ALL = `SELECT ${COLUMNS} FROM documents WHERE id > ? ORDER BY id`;
const OF_COMPANY = `SELECT ${COLUMNS} FROM documents WHERE cnpj = ? AND id > ? ORDER BY id`;

/**
 * Stored documents in the order they were stored, one row in memory at a time; pass
 * the last id seen as `afterId` to resume. The connection is busy while the generator
 * is open: finish (or return from) it before the next write on this store.
 */
export function* iterateDocuments(
  ctx: StoreContext,
  options: { cnpj?: string; afterId?: number } = {},
): Generator<StoredDocument, void, undefined> {
  const afterId = options.afterId ?? 0;
  const rows =
    options.cnpj === undefined ? ctx.stmt(ALL).iterate(afterId) : ctx.stmt(OF_COMPANY).iterate(options.cnpj, afterId);
  for (const row of rows) yield documentFromRow(row as DocumentRow);
}
