import type { StoreContext } from '../context.js';
import { gapFromRow, type GapRow } from '../rows.js';
import type { Gap } from '../types.js';

const ALL = 'SELECT * FROM gaps WHERE cnpj = ? ORDER BY from_NSU, id';
const OPEN = 'SELECT * FROM gaps WHERE cnpj = ? AND closed_at IS NULL ORDER BY from_NSU, id';

export function listGaps(ctx: StoreContext, cnpj: string, options: { openOnly?: boolean } = {}): Gap[] {
  return (ctx.stmt(options.openOnly === true ? OPEN : ALL).all(cnpj) as GapRow[]).map(gapFromRow);
}
