/**
 * Capture windows: the local hours in which a company may be queried (config/window.ts
 * parses them). A range is minutes since local midnight, half-open [start, end); start >
 * end crosses midnight. Local time
 * is read in an IANA zone, so a zone with daylight saving time skips or repeats an hour:
 * a window boundary inside a skipped hour opens (or closes) at the jump, and one inside a
 * repeated hour is crossed twice.
 */
import { RuleInputError } from './errors.js';
import { zoneOffset } from '../time/zone.js';

export interface WindowRange {
  /** minutes since local midnight, 0..1439 */
  start: number;
  /** minutes since local midnight, 1..1440; below start when the range crosses midnight */
  end: number;
}

export interface WindowStatus {
  open: boolean;
  /** the next instant the window opens, when closed (null: it never opens) */
  opensAt: number | null;
  /** the next instant the window closes, when open (null: it never closes, e.g. 24h) */
  closesAt: number | null;
}

export const FULL_DAY: readonly WindowRange[] = [{ start: 0, end: 1440 }];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Far enough to see the next opening even past a day whose window a DST jump skipped. */
const HORIZON_MS = 3 * DAY_MS;
/** Real zones never change offset twice within this span. */
const OFFSET_SAMPLE_MS = 12 * 3_600_000;

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function checkRanges(ranges: readonly WindowRange[]): void {
  for (const r of ranges) {
    const ok =
      Number.isFinite(r.start) && Number.isFinite(r.end) &&
      r.start >= 0 && r.start < 1440 && r.end > 0 && r.end <= 1440 && r.start !== r.end;
    if (!ok) {
      throw new RuleInputError(
        'INVALID_WINDOW',
        `window range {start: ${r.start}, end: ${r.end}} is not valid: start must be 0..1439 and end 1..1440 minutes after local midnight, and they must differ`,
      );
    }
  }
}

function openAtWall(ranges: readonly WindowRange[], wallMs: number): boolean {
  const m = mod(wallMs, DAY_MS) / MINUTE_MS;
  return ranges.some((r) => (r.start < r.end ? m >= r.start && m < r.end : m >= r.start || m < r.end));
}

/** The first local reading after wallMs that falls on a range boundary. */
function nextBoundaryWall(bounds: readonly number[], wallMs: number): number {
  const dayStart = wallMs - mod(wallMs, DAY_MS);
  for (const b of bounds) {
    const at = dayStart + b * MINUTE_MS;
    if (at > wallMs) return at;
  }
  return dayStart + DAY_MS + bounds[0]! * MINUTE_MS;
}

interface OffsetSegment {
  from: number;
  offset: number;
}

/** The zone's offsets over [from, to), each from the instant it takes effect. */
function offsetSegments(from: number, to: number, timeZone: string): OffsetSegment[] {
  let offset = zoneOffset(from, timeZone);
  const segments: OffsetSegment[] = [{ from, offset }];
  let probe = from;
  while (probe < to) {
    const next = Math.min(probe + OFFSET_SAMPLE_MS, to);
    if (zoneOffset(next, timeZone) === offset) {
      probe = next;
      continue;
    }
    let lo = probe;
    let hi = next;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (zoneOffset(mid, timeZone) === offset) lo = mid;
      else hi = mid;
    }
    offset = zoneOffset(hi, timeZone);
    segments.push({ from: hi, offset });
    probe = hi;
  }
  return segments;
}

/** The first instant after `now` at which the window's state differs from `open`, or null. */
function nextChange(
  ranges: readonly WindowRange[],
  timeZone: string,
  now: number,
  open: boolean,
): number | null {
  const bounds = [...new Set(ranges.flatMap((r) => [r.start, r.end % 1440]))].sort((a, b) => a - b);
  if (bounds.length === 0) return null;
  const end = now + HORIZON_MS;
  const segments = offsetSegments(now, end, timeZone);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const segEnd = segments[i + 1]?.from ?? end;
    if (i > 0 && openAtWall(ranges, seg.from + seg.offset) !== open) return seg.from;
    let wall = seg.from + seg.offset;
    for (;;) {
      const boundary = nextBoundaryWall(bounds, wall);
      const at = boundary - seg.offset;
      if (at >= segEnd) break;
      if (openAtWall(ranges, boundary) !== open) return at;
      wall = boundary;
    }
  }
  return null;
}

export function windowStatus(
  ranges: readonly WindowRange[],
  timeZone: string,
  now: number,
): WindowStatus {
  checkRanges(ranges);
  const open = openAtWall(ranges, now + zoneOffset(now, timeZone));
  const change = nextChange(ranges, timeZone, now, open);
  return open ? { open, opensAt: null, closesAt: change } : { open, opensAt: change, closesAt: null };
}
