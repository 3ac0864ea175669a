/**
 * The status report as people read it: one aligned row per company within 120 columns,
 * times local to the config's time zone, and the problems in sentences under the table.
 */
import { formatLocalDate, localParts } from '../time/zone.js';
import type { CompanyStatus, NextReason, StatusReport } from './report.js';

export const TABLE_WIDTH = 120;
const GAP = '  ';
const MINUTE_MS = 60_000;

const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:02", "11-19 14:02" on another day, "2025-11-19 14:02" in another year. */
function shortLocalTime(at: number, now: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  const today = localParts(now, timeZone);
  const hm = `${pad(p.hour)}:${pad(p.minute)}`;
  if (p.year !== today.year) return `${p.year}-${pad(p.month)}-${pad(p.day)} ${hm}`;
  if (p.month !== today.month || p.day !== today.day) return `${pad(p.month)}-${pad(p.day)} ${hm}`;
  return hm;
}

/** No leading zeros: easier to read in a table; the JSON keeps all 15 digits. */
const nsu = (value: string | null): string => (value === null ? '-' : value.replace(/^0+(?=\d)/, ''));

const REASON_WORDS: Record<NextReason, string> = {
  first: 'first',
  draining: 'draining',
  check: 'check',
  retry: 'retry',
  'nothing-left': '137 hour',
  'lost-answer-maybe-137': 'maybe 137',
  backoff: 'backoff',
  'blocked-656': '656 block',
  'outside-window': 'window',
  'call-in-flight': 'in flight',
  stopped: 'stopped',
  suspended: 'suspended',
  disabled: 'disabled',
  'not-in-config': 'not in config',
};

function nextCell(c: CompanyStatus, now: number, timeZone: string): string {
  const word = REASON_WORDS[c.nextReason];
  if (c.nextDistAt === null) return c.nextReason === 'outside-window' ? 'never (window)' : word;
  const at = Date.parse(c.nextDistAt);
  // Rounded up: the next call is not before the minute shown.
  const when = at <= now ? 'now' : shortLocalTime(Math.ceil(at / MINUTE_MS) * MINUTE_MS, now, timeZone);
  return `${when} ${word}`;
}

function lastCallCell(c: CompanyStatus, now: number, timeZone: string): string {
  if (c.lastCallAt === null) return '-';
  const answer = c.lastCStat ?? 'fail';
  return `${shortLocalTime(Date.parse(c.lastCallAt), now, timeZone)} ${c.lastOp ?? ''} ${answer}`;
}

function certCell(c: CompanyStatus): string {
  return c.certificateDaysLeft === null ? '-' : `${c.certificateDaysLeft}d`;
}

/** Targeted queries waiting and sent in the last hour: "3q 19/h". */
function targetedCell(c: CompanyStatus): string {
  return c.queue === 0 && c.targetedCallsLastHour === 0 ? '-' : `${c.queue}q ${c.targetedCallsLastHour}/h`;
}

interface Column {
  header: string;
  cell: (c: CompanyStatus) => string;
  align?: 'right';
  /** Columns that may be cut (with "…") to keep the table within TABLE_WIDTH, and how far. */
  minWidth?: number;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Natural widths, then the shrinkable columns cut, widest first, until the row fits. */
function widths(columns: readonly Column[], rows: readonly string[][]): number[] {
  const w = columns.map((col, i) => Math.max(col.header.length, ...rows.map((r) => r[i]!.length)));
  let excess = w.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1) - TABLE_WIDTH;
  while (excess > 0) {
    let widest = -1;
    columns.forEach((col, i) => {
      if (col.minWidth !== undefined && w[i]! > col.minWidth && (widest === -1 || w[i]! > w[widest]!)) widest = i;
    });
    if (widest === -1) break;
    w[widest]! -= 1;
    excess -= 1;
  }
  return w;
}

export function formatStatusTable(report: StatusReport): string {
  const now = Date.parse(report.generatedAt);
  const tz = report.timezone;
  const columns: Column[] = [
    { header: 'CNPJ', cell: (c) => c.cnpj },
    { header: 'NAME', cell: (c) => c.name, minWidth: 8 },
    { header: 'WINDOW', cell: (c) => c.window, minWidth: 5 },
    { header: 'ULTNSU', cell: (c) => nsu(c.ultNSU), align: 'right' },
    { header: 'MAXNSU', cell: (c) => nsu(c.maxNSU), align: 'right' },
    { header: 'DOCS', cell: (c) => (c.documentsToday > 0 ? `${c.documents} +${c.documentsToday}` : String(c.documents)), align: 'right' },
    { header: 'LAST CALL', cell: (c) => lastCallCell(c, now, tz), minWidth: 12 },
    { header: 'NEXT DISTNSU', cell: (c) => nextCell(c, now, tz), minWidth: 12 },
    { header: 'TGT', cell: targetedCell, align: 'right' },
    { header: 'PEND', cell: (c) => (c.summariesPending === 0 ? '-' : String(c.summariesPending)), align: 'right' },
    { header: 'CERT', cell: certCell, align: 'right' },
    // only when some company has a monthly limit: most installs have none
    ...(report.companies.some((c) => c.monthlyUsage.limit !== null)
      ? [{ header: 'USAGE', cell: (c: CompanyStatus) => (c.monthlyUsage.limit === null ? '-' : `${c.monthlyUsage.calls}/${c.monthlyUsage.limit}`), align: 'right' as const }]
      : []),
    { header: '!', cell: (c) => (c.problems.length === 0 ? '' : String(c.problems.length)), align: 'right' },
  ];
  const rows = report.companies.map((c) => columns.map((col) => col.cell(c)));
  const w = widths(columns, rows);
  const line = (cells: readonly string[]): string =>
    cells
      .map((text, i) => {
        const cut = truncate(text, w[i]!);
        return columns[i]!.align === 'right' ? cut.padStart(w[i]!) : cut.padEnd(w[i]!);
      })
      .join(GAP)
      .trimEnd();

  const out = [
    `dfe-sync status at ${formatLocalDate(now, tz)} ${shortLocalTime(now, now, tz)} ${tz} (${report.environment}), ${report.companies.length} compan${report.companies.length === 1 ? 'y' : 'ies'}`,
    `config ${report.config}, state ${report.stateDir}`,
    '',
    line(columns.map((c) => c.header)),
    ...rows.map(line),
    '',
  ];
  if (report.companies.some((c) => c.queue > 0 || c.targetedCallsLastHour > 0 || c.summariesPending > 0 || c.documentsToday > 0 || c.monthlyUsage.limit !== null)) {
    out.push(
      ...wrap('DOCS: stored in all (+ today); TGT: consChNFe/consNSU queued (q) and sent in the last rolling hour (/h); PEND: summaries still without the full XML (dfe-sync pending says why); USAGE: SEFAZ calls this billing period / monthly limit.', TABLE_WIDTH, ''),
      '',
    );
  }
  const withProblems = report.companies.filter((c) => c.problems.length > 0);
  if (withProblems.length === 0) {
    out.push('No problems.');
  } else {
    out.push(`Problems (${withProblems.reduce((n, c) => n + c.problems.length, 0)}):`);
    for (const c of withProblems) {
      for (const p of c.problems) out.push(...wrap(`- ${c.cnpj} ${c.name}: ${p}`, TABLE_WIDTH, '  '));
    }
  }
  return `${out.join('\n')}\n`;
}

/** Word-wraps a sentence at `width`, continuation lines indented. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (candidate.length > width && current.trim() !== '') {
      lines.push(current);
      current = `${indent}${word}`;
    } else {
      current = candidate;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}
