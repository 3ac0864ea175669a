import type { StoreContext } from '../context.js';
import type { EpochMs } from '../types.js';

export interface NotificationInput {
  /** the same key never makes a second notification (e.g. "cert-expiring:CNPJ:15") */
  dedupeKey: string;
  cnpj: string | null;
  kind: string;
  payload: Record<string, unknown>;
  /** channel names to deliver to, each once */
  channels: readonly string[];
}

export interface DueDelivery {
  id: number;
  notificationId: number;
  channel: string;
  attempts: number;
  kind: string;
  cnpj: string | null;
  payload: Record<string, unknown>;
  createdAt: EpochMs;
}

const INSERT = 'INSERT OR IGNORE INTO notifications (dedupe_key, cnpj, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)';
const DELIVERY = `INSERT OR IGNORE INTO deliveries (notification_id, channel, state, next_attempt_at) VALUES (?, ?, 'pending', ?)`;
const DUE = `
  SELECT d.id, d.notification_id AS notificationId, d.channel, d.attempts, n.kind, n.cnpj, n.payload, n.created_at AS createdAt
  FROM deliveries d JOIN notifications n ON n.id = d.notification_id
  WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`;
const DONE = `UPDATE deliveries SET state = 'done', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?`;
const RETRY = `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, state = ? WHERE id = ?`;
const NEXT = `SELECT min(next_attempt_at) AS at FROM deliveries WHERE state = 'pending'`;

/**
 * Records a notification and its deliveries, once: a second call with the same dedupe key
 * does nothing and returns false.
 */
export function addNotification(ctx: StoreContext, n: NotificationInput, at: EpochMs): boolean {
  return ctx.db.transaction(() => {
    const r = ctx.stmt(INSERT).run(n.dedupeKey, n.cnpj, n.kind, JSON.stringify(n.payload), Math.round(at));
    if (r.changes === 0) return false;
    for (const channel of n.channels) ctx.stmt(DELIVERY).run(Number(r.lastInsertRowid), channel, Math.round(at));
    return true;
  }).immediate();
}

export function dueDeliveries(ctx: StoreContext, now: EpochMs, limit: number): DueDelivery[] {
  return (ctx.stmt(DUE).all(Math.round(now), limit) as (Omit<DueDelivery, 'payload'> & { payload: string })[])
    .map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

export function deliveryDone(ctx: StoreContext, id: number, at: EpochMs): void {
  ctx.stmt(DONE).run(Math.round(at), id);
}

/** A failed attempt: tried again at `retryAt`, or given up for good when retryAt is null. */
export function deliveryFailed(ctx: StoreContext, id: number, error: string, retryAt: EpochMs | null): void {
  ctx.stmt(RETRY).run(retryAt === null ? 0 : Math.round(retryAt), error, retryAt === null ? 'failed' : 'pending', id);
}

export function nextDeliveryAt(ctx: StoreContext): EpochMs | null {
  return (ctx.stmt(NEXT).get() as { at: number | null }).at;
}
