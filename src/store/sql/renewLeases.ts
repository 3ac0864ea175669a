import type { StoreContext } from '../context.js';
import type { EpochMs, LeaseHolder } from '../types.js';

const RENEW = 'UPDATE leases SET renewed_at = ?, expires_at = ? WHERE cnpj = ? AND holder_id = ?';

/**
 * Extends the holder's leases. `lost` lists those it no longer holds (another process
 * took them after they expired): the caller must stop working those companies.
 */
export function renewLeases(
  ctx: StoreContext,
  cnpjs: readonly string[],
  holder: LeaseHolder,
  ttlMs: number,
  now: EpochMs = ctx.clock.now(),
): { renewed: string[]; lost: string[] } {
  return ctx.db
    .transaction(() => {
      const renewed: string[] = [];
      const lost: string[] = [];
      for (const cnpj of cnpjs) {
        (ctx.stmt(RENEW).run(now, now + ttlMs, cnpj, holder.id).changes === 1 ? renewed : lost).push(cnpj);
      }
      return { renewed, lost };
    })
    .immediate();
}
