/**
 * Local wall-clock time in an IANA zone, from Intl alone (no time-zone package): the
 * zone's UTC offset at an instant is the difference between its local reading and UTC.
 */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    // hourCycle h23: some engines print midnight as "24" with hour12: false.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localParts(at: number, timeZone: string): LocalParts {
  // format() is several times faster than formatToParts(); en-US with h23 reads
  // "MM/DD/YYYY, HH:MM:SS", whatever the separators.
  const [month = 0, day = 0, year = 0, hour = 0, minute = 0, second = 0] =
    (formatter(timeZone).format(at).match(/\d+/g) ?? []).map(Number);
  return { year, month, day, hour, minute, second };
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Milliseconds to add to an instant to get its local reading as if it were UTC. */
export function zoneOffset(at: number, timeZone: string): number {
  const p = localParts(at, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (at - mod(at, 1000));
}

/** "14:02", or "14:02:37" when the instant is not on a whole minute. */
export function formatLocalTime(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  const hm = `${pad(p.hour)}:${pad(p.minute)}`;
  return p.second === 0 && mod(at, 1000) === 0 ? hm : `${hm}:${pad(p.second)}`;
}

export function formatLocalDate(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
