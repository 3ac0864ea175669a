import type { StoreContext } from '../context.js';

const ADD = `
  INSERT INTO usage (cnpj, period_start, calls) VALUES (?, ?, ?)
  ON CONFLICT (cnpj, period_start) DO UPDATE SET calls = calls + excluded.calls`;
const GET = 'SELECT calls FROM usage WHERE cnpj = ? AND period_start = ?';

/** Counts SEFAZ calls against the company's billing period; returns the period's total. */
export function addUsage(ctx: StoreContext, cnpj: string, periodStart: string, calls = 1): number {
  return ctx.db.transaction(() => {
    ctx.stmt(ADD).run(cnpj, periodStart, calls);
    return (ctx.stmt(GET).get(cnpj, periodStart) as { calls: number }).calls;
  }).immediate();
}

/** Calls counted in a billing period (0 when none). */
export function usageOf(ctx: StoreContext, cnpj: string, periodStart: string): number {
  return (ctx.stmt(GET).get(cnpj, periodStart) as { calls: number } | undefined)?.calls ?? 0;
}
