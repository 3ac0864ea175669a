import type { StoreContext } from '../context.js';
import { leaseFromRow, type LeaseRow } from '../rows.js';
import type { AcquireResult, EpochMs, Lease, LeaseHolder } from '../types.js';

const GET = 'SELECT * FROM leases WHERE cnpj = ?';
const TAKE = `
  INSERT INTO leases (cnpj, holder_id, host, pid, acquired_at, renewed_at, expires_at)
  VALUES (@cnpj, @id, @host, @pid, @now, @now, @expiresAt)
  ON CONFLICT (cnpj) DO UPDATE SET holder_id = @id, host = @host, pid = @pid,
    acquired_at = CASE WHEN leases.holder_id = @id THEN leases.acquired_at ELSE @now END,
    renewed_at = @now, expires_at = @expiresAt`;

/**
 * Whether `holder` may take a lease now held as `lease`: it is free, expired, already
 * ours, or held by a process of this host that no longer runs (a crashed daemon must
 * not hold its companies up for a whole TTL after a restart, DESIGN.md §4.3).
 */
function mayTake(lease: Lease | undefined, holder: LeaseHolder, now: EpochMs, isAlive: (pid: number) => boolean): boolean {
  if (lease === undefined || lease.expiresAt <= now || lease.id === holder.id) return true;
  return lease.host === holder.host && !isAlive(lease.pid);
}

/** Takes every lease it may, in one transaction; names the holder of each one refused. */
export function acquireLeases(
  ctx: StoreContext,
  cnpjs: readonly string[],
  holder: LeaseHolder,
  ttlMs: number,
  now: EpochMs = ctx.clock.now(),
): AcquireResult {
  const liveness = new Map<number, boolean>();
  const isAlive = (pid: number): boolean => {
    let alive = liveness.get(pid);
    if (alive === undefined) {
      alive = ctx.processIsAlive(pid);
      liveness.set(pid, alive);
    }
    return alive;
  };
  return ctx.db
    .transaction((): AcquireResult => {
      const result: AcquireResult = { acquired: [], refused: [] };
      for (const cnpj of cnpjs) {
        const row = ctx.stmt(GET).get(cnpj) as LeaseRow | undefined;
        const lease = row === undefined ? undefined : leaseFromRow(row);
        if (lease !== undefined && !mayTake(lease, holder, now, isAlive)) {
          result.refused.push({ cnpj, holder: lease });
          continue;
        }
        ctx.stmt(TAKE).run({ cnpj, ...holder, now, expiresAt: now + ttlMs });
        result.acquired.push(cnpj);
      }
      return result;
    })
    .immediate();
}
