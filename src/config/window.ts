/**
 * Capture windows: the hours of the day, in the configured time zone, in which a company
 * may call SEFAZ. `24h`, one range such as `05:00-19:00`, one that crosses midnight such
 * as `19:00-05:00`, or a list of ranges.
 */

/** Minutes since midnight; [start, end). start > end crosses midnight; 24h is 0-1440. */
export interface WindowRange {
  start: number;
  end: number;
}

export interface CaptureWindow {
  /** As the operator wrote it (list items joined by ", "), for status output. */
  text: string;
  ranges: WindowRange[];
}

const MINUTES_PER_DAY = 1440;
const HHMM = '([01][0-9]|2[0-3]):([0-5][0-9])';
const RANGE_SOURCE = `${HHMM} *- *${HHMM}`;
const RANGE = new RegExp(`^${RANGE_SOURCE}$`);
const EXPECTED = 'expected "24h" or a range "HH:MM-HH:MM" (e.g. "05:00-19:00", or "19:00-05:00" to cross midnight)';

/** JSON Schema pattern of one window item (the overlap rules are checked by parseWindow). */
export const WINDOW_ITEM_PATTERN = `^(24h|${RANGE_SOURCE})$`;

export type WindowProblem = { index: number | null; message: string };
export type WindowResult = { ok: true; window: CaptureWindow } | { ok: false; problems: WindowProblem[] };

function parseItem(text: string): WindowRange | string {
  if (text === '24h') return { start: 0, end: MINUTES_PER_DAY };
  const m = RANGE.exec(text);
  if (!m) return `${JSON.stringify(text)} is not a capture window: ${EXPECTED}`;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (start === end) return `${JSON.stringify(text)} starts and ends at the same time: write "24h" for the whole day`;
  return { start, end };
}

/** The pieces of a range inside one day: a range crossing midnight is two pieces. */
function pieces(r: WindowRange): Array<[number, number]> {
  return r.start < r.end ? [[r.start, r.end]] : [[r.start, MINUTES_PER_DAY], [0, r.end]];
}

function formatMinutes(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/**
 * Parses a window as written in the config. Index is the list position of the item a
 * problem is about (null for a single string).
 */
export function parseWindow(value: string | readonly string[]): WindowResult {
  const items = typeof value === 'string' ? [value] : value;
  const problems: WindowProblem[] = [];
  const ranges: Array<{ range: WindowRange; index: number }> = [];
  items.forEach((item, i) => {
    const index = typeof value === 'string' ? null : i;
    const r = parseItem(item);
    if (typeof r === 'string') problems.push({ index, message: r });
    else ranges.push({ range: r, index: i });
  });
  const all = ranges
    .flatMap(({ range, index }) => pieces(range).map(([from, to]) => ({ from, to, index })))
    .sort((a, b) => a.from - b.from);
  // Compare each piece with the one reaching furthest so far: that finds every overlap,
  // and each pair of items is reported once.
  const reported = new Set<string>();
  let reach: (typeof all)[number] | undefined;
  for (const cur of all) {
    if (reach && cur.from < reach.to && cur.index !== reach.index) {
      const [a, b] = [Math.min(reach.index, cur.index), Math.max(reach.index, cur.index)];
      if (!reported.has(`${a}:${b}`)) {
        reported.add(`${a}:${b}`);
        problems.push({
          index: typeof value === 'string' ? null : b,
          message: `${JSON.stringify(items[b])} overlaps ${JSON.stringify(items[a])} (both include ${formatMinutes(cur.from)}): merge them into one range`,
        });
      }
    }
    if (!reach || cur.to > reach.to) reach = cur;
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    window: { text: items.join(', '), ranges: ranges.map((r) => r.range) },
  };
}
