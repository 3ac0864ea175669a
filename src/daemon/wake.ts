import type { Clock } from '../clock.js';

/** setTimeout's ceiling; a longer wait wakes early and is armed again. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `fn` when `clock` reaches `at`. Deadlines are in the clock's time, which may run
 * faster than the wall clock (the demo's), so the real delay is divided by its rate.
 * Returns a function that cancels the wake-up.
 */
export function wakeAt(clock: Clock, at: number, fn: () => void): () => void {
  const rate = clock.rate ?? 1;
  const delay = Math.min(MAX_DELAY_MS, Math.max(0, Math.ceil((at - clock.now()) / rate)));
  const timer = setTimeout(fn, delay);
  return () => clearTimeout(timer);
}
