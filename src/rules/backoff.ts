import type { RuleSettings } from './state.js';

/**
 * Capped exponential backoff with jitter: the n-th consecutive failure waits between half
 * and all of min(max, base * 2^(n-1)). The jitter spreads thousands of companies that
 * failed together (SEFAZ down) so they do not return together; the lower half-bound keeps
 * a retry from following its failure at once.
 */
export function backoffDelay(failures: number, settings: RuleSettings, random: () => number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 52);
  const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling * (0.5 + 0.5 * r));
}
