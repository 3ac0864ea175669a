import type { CompanyConfig } from '../config/index.js';
import type { DistDecision } from '../rules/engine.js';
import type { SyncContext } from './context.js';
import { distStep } from './distStep.js';
import { eventStep } from './eventStep.js';
import { targetedStep } from './targetedStep.js';

export interface CompanyStepResult {
  /** when the company has something to do next (the earliest of its three queues), or null */
  nextAt: number | null;
  dist: DistDecision;
}

const earliest = (...times: (number | null)[]): number | null =>
  times.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.min(a, b)), null);

/**
 * One step of one company: a distNSU when the rules allow it, one targeted query when the
 * hourly budget allows it, and its due manifestation events — each at most once, so a
 * long drain never starves the other two.
 */
export async function companyStep(ctx: SyncContext, company: CompanyConfig): Promise<CompanyStepResult> {
  const dist = await distStep(ctx, company);
  const distAt = dist.next.kind === 'call' ? ctx.clock.now() : dist.next.kind === 'wait' ? dist.next.until : null;
  if (dist.next.kind === 'stopped') return { nextAt: null, dist: dist.next };
  const targetedAt = await targetedStep(ctx, company);
  const eventsAt = await eventStep(ctx, company);
  return { nextAt: earliest(distAt, targetedAt, eventsAt), dist: dist.next };
}
