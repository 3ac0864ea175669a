const HOUR = 3_600_000;

/**
 * A time as SEFAZ writes it: Brasília (-03:00, no daylight saving since 2019), seconds,
 * no fraction, e.g. `2026-11-20T09:00:00-03:00` (TDateTimeUTC).
 */
export function dhBrasilia(ms: number): string {
  return new Date(ms - 3 * HOUR).toISOString().slice(0, 19) + '-03:00';
}

/** Cents as TDec_1302 text ("1234.50"). */
export function money(cents: number): string {
  const whole = Math.floor(cents / 100);
  return `${whole}.${String(cents % 100).padStart(2, '0')}`;
}
