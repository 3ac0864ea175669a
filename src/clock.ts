/**
 * Time is injected everywhere a rule depends on it, so that tests and the simulator can
 * run hours of SEFAZ rules in milliseconds and the soak test can jump from deadline to
 * deadline.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Clock milliseconds per wall-clock millisecond (1 unless sped up): timers divide by it. */
  readonly rate?: number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.UTC(2026, 10, 20, 12, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A clock running `factor` times faster than the wall clock from `start` (the demo's). */
export class ScaledClock implements Clock {
  private readonly wallStart = Date.now();
  constructor(
    readonly rate: number,
    private readonly start: number = Date.now(),
  ) {}
  now(): number {
    return this.start + (Date.now() - this.wallStart) * this.rate;
  }
}
