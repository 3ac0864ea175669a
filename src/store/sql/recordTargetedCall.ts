import type { StoreContext } from '../context.js';
import type { EpochMs, TargetedOp } from '../types.js';
import { requireCompany } from './requireCompany.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const INSERT = 'INSERT INTO targeted_calls (cnpj, at, op) VALUES (?, ?, ?)';
const PRUNE = 'DELETE FROM targeted_calls WHERE cnpj = ? AND at < ?';

/**
 * Counts a consNSU/consChNFe against the 20-per-hour budget. Record it BEFORE sending:
 * a crash between sending and recording would otherwise forget a call SEFAZ counted.
 * Entries older than a day are dropped on the way (the window is one hour).
 */
export function recordTargetedCall(ctx: StoreContext, cnpj: string, op: TargetedOp, at: EpochMs = ctx.clock.now()): void {
  ctx.db
    .transaction(() => {
      requireCompany(ctx, cnpj, `count a ${op}`);
      ctx.stmt(INSERT).run(cnpj, Math.round(at), op);
      ctx.stmt(PRUNE).run(cnpj, at - DAY_MS);
    })
    .immediate();
}
