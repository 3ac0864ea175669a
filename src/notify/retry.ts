/** When a failed delivery is tried again, and when it is given up. Pure. */

const SECOND = 1000;
const HOUR = 3_600_000;

export interface RetryPolicy {
  /** wait after the first failure; doubles after each one */
  baseMs: number;
  /** longest wait between two attempts */
  maxMs: number;
  /** no attempt later than this after the notification was made */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { baseMs: 30 * SECOND, maxMs: HOUR, giveUpAfterMs: 24 * HOUR };

/**
 * The instant of the next attempt after `attempts` failed ones (this one included), or null
 * when it would fall past the give-up deadline. A receiver's Retry-After is honoured but
 * never beyond `maxMs`, so a broken header cannot park a notification for days.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attempts: number,
  createdAt: number,
  now: number,
  retryAfterMs: number | null = null,
): number | null {
  const backoff = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  const wait = Math.min(policy.maxMs, Math.max(backoff, retryAfterMs ?? 0));
  const at = now + wait;
  return at > createdAt + policy.giveUpAfterMs ? null : at;
}
