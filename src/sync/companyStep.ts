import type { CompanyConfig } from '../config/index.js';
import { countCall, limitGate } from '../limits/gate.js';
import { TransportError } from '../transport/errors.js';
import type { SyncContext } from './context.js';
import { distStep } from './distStep.js';
import { eventStep } from './eventStep.js';
import { targetedStep } from './targetedStep.js';

export interface CompanyStepResult {
  /** when the company has something to do next (the earliest of its three queues), or null */
  nextAt: number | null;
}

/** A suspended company is looked at again this often, to notice `dfe-sync reactivate` from another process. */
const SUSPENDED_RECHECK_MS = 60_000;

const earliest = (...times: (number | null)[]): number | null =>
  times.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.min(a, b)), null);

/**
 * One step of one company: a distNSU when the rules allow it, one targeted query when the
 * hourly budget allows it, and its due manifestation events — each at most once, so a
 * long drain never starves the other two.
 */
export async function companyStep(ctx: SyncContext, company: CompanyConfig): Promise<CompanyStepResult> {
  const gate = limitGate(ctx, company, ctx.clock.now());
  if (!gate.allowed) return { nextAt: earliest(gate.until, ctx.clock.now() + SUSPENDED_RECHECK_MS) };
  // Every request that leaves counts against the billing period, whichever step sends it.
  let suspended = false;
  const counted: SyncContext = {
    ...ctx,
    transport: {
      post: async (request) => {
        const counted = countCall(ctx, company, ctx.clock.now());
        suspended = counted.suspended || suspended;
        try {
          return await ctx.transport.post(request);
        } catch (err) {
          // a request that never left (DNS, refused, TLS) was not a call: an outage must not use up the limit
          if (err instanceof TransportError && err.phase === 'before-send') ctx.store.addUsage(company.cnpj, counted.period.start, -1);
          throw err;
        }
      },
    },
  };
  const dist = await distStep(counted, company);
  const distAt = dist.next.kind === 'call' ? ctx.clock.now() : dist.next.kind === 'wait' ? dist.next.until : null;
  if (dist.next.kind === 'stopped') return { nextAt: null };
  // paused (a certificate that cannot serve, waiting for a new one): no other call either
  if (ctx.store.getCompany(company.cnpj)?.state.stopped) return { nextAt: distAt };
  // the limit reached by this call: nothing more from this company until it is reactivated
  if (suspended) return { nextAt: ctx.clock.now() + SUSPENDED_RECHECK_MS };
  const targetedAt = await targetedStep(counted, company);
  const eventsAt = suspended ? null : await eventStep(counted, company);
  return { nextAt: earliest(distAt, targetedAt, eventsAt) };
}
