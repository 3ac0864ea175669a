import type { StoreContext } from '../context.js';

export interface WorkMark {
  targetedId: number;
  manifestationRowid: number;
}

const TARGETED = `SELECT DISTINCT cnpj FROM targeted_queue WHERE id > ? AND state = 'pending'`;
const MAX_TARGETED = 'SELECT coalesce(max(id), 0) AS n FROM targeted_queue';
const EVENTS = `SELECT DISTINCT cnpj FROM manifestations WHERE rowid > ? AND state = 'pending'`;
const MAX_EVENTS = 'SELECT coalesce(max(rowid), 0) AS n FROM manifestations';

/**
 * Companies with work queued since `mark` (by `fetch` or `manifest` from another process),
 * and the new mark: a running daemon picks them up within seconds.
 */
export function newWork(ctx: StoreContext, mark: WorkMark | null): { cnpjs: string[]; mark: WorkMark } {
  const next: WorkMark = {
    targetedId: (ctx.stmt(MAX_TARGETED).get() as { n: number }).n,
    manifestationRowid: (ctx.stmt(MAX_EVENTS).get() as { n: number }).n,
  };
  if (mark === null) return { cnpjs: [], mark: next };
  const cnpjs = new Set<string>();
  for (const r of ctx.stmt(TARGETED).all(mark.targetedId) as { cnpj: string }[]) cnpjs.add(r.cnpj);
  for (const r of ctx.stmt(EVENTS).all(mark.manifestationRowid) as { cnpj: string }[]) cnpjs.add(r.cnpj);
  return { cnpjs: [...cnpjs], mark: next };
}
