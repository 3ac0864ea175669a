import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

export interface Suspension {
  cnpj: string;
  reason: string;
  periodStart: string;
  suspendedAt: EpochMs;
}

const INSERT = 'INSERT OR IGNORE INTO suspensions (cnpj, reason, period_start, suspended_at) VALUES (?, ?, ?, ?)';
const DELETE = 'DELETE FROM suspensions WHERE cnpj = ?';
const GET = 'SELECT cnpj, reason, period_start AS periodStart, suspended_at AS suspendedAt FROM suspensions WHERE cnpj = ?';
const ALL = 'SELECT cnpj, reason, period_start AS periodStart, suspended_at AS suspendedAt FROM suspensions ORDER BY cnpj';

/** Suspends a company's capture; true when it was not suspended already. */
export function suspend(ctx: StoreContext, cnpj: string, reason: string, periodStart: string, at: EpochMs): boolean {
  return ctx.stmt(INSERT).run(cnpj, reason, periodStart, Math.round(at)).changes === 1;
}

/** Lifts a suspension; true when there was one. */
export function reactivate(ctx: StoreContext, cnpj: string): boolean {
  return ctx.stmt(DELETE).run(cnpj).changes === 1;
}

export function suspensionOf(ctx: StoreContext, cnpj: string): Suspension | null {
  return (ctx.stmt(GET).get(cnpj) as Suspension | undefined) ?? null;
}

export function listSuspensions(ctx: StoreContext): Suspension[] {
  return ctx.stmt(ALL).all() as Suspension[];
}
