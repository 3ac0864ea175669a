/** `dfe-sync limits` as people read it: one aligned row per company, local times, suspensions explained below. */
import { formatLocalTime, localParts } from '../time/zone.js';
import { TABLE_WIDTH, wrap } from '../status/table.js';
import type { CompanyLimitView, LimitsReport } from './report.js';
import { localDateTime, reactivateCommand } from './words.js';

const GAP = '  ';
// A company without a name shows its formatted CNPJ (18 characters): whole, not cut.
const NAME_WIDTH = 18;
const HEADER = ['CNPJ', 'NAME', 'PERIOD', 'USED', 'LIMIT', 'ON LIMIT', 'STATE'];
const RIGHT = new Set([3, 4]);

const cut = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);
const pad = (n: number): string => String(n).padStart(2, '0');

/** "11-21 00:00" within the year of `now`, else with the year. */
function shortDateTime(at: number, now: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  const date = p.year === localParts(now, timeZone).year ? `${pad(p.month)}-${pad(p.day)}` : `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  return `${date} ${formatLocalTime(at, timeZone)}`;
}

function onLimit(c: CompanyLimitView): string {
  if (c.limit === null) return '-';
  const what = [c.limit.notify ? 'notify' : null, c.limit.suspend ? 'suspend' : null, c.limit.reactivateAtPeriodStart ? 'auto' : null];
  return what.filter((w) => w !== null).join(', ') || 'nothing';
}

function state(c: CompanyLimitView, now: number, timeZone: string): string {
  const s = c.suspended;
  if (s === null) return 'active';
  if (s.reactivatesAt === null) return 'suspended';
  const at = Date.parse(s.reactivatesAt);
  return at <= now ? 'suspended, lifts at next step' : `suspended until ${shortDateTime(at, now, timeZone)}`;
}

export function formatLimitsTable(report: LimitsReport): string {
  const now = Date.parse(report.generatedAt);
  const tz = report.timezone;
  const rows = report.companies.map((c) => [
    c.cnpj,
    cut(c.name, NAME_WIDTH),
    `${c.period.start}..${c.period.end}`,
    String(c.used),
    c.limit === null ? 'no limit' : String(c.limit.calls),
    onLimit(c),
    state(c, now, tz),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (row: readonly string[]): string =>
    row.map((text, i) => (RIGHT.has(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!))).join(GAP).trimEnd();

  const n = report.companies.length;
  const out = [
    `dfe-sync limits at ${localDateTime(now, tz)} ${tz}: SEFAZ calls per billing period, ${n} compan${n === 1 ? 'y' : 'ies'}`,
    `config ${report.config}, state ${report.database}`,
    '',
  ];
  if (!report.databaseFound) out.push(`No state yet (no database at ${report.database}): nothing counted or suspended so far.`, '');
  out.push(line(HEADER), ...rows.map(line), '');
  if (report.companies.some((c) => c.limit !== null)) {
    out.push(...wrap('ON LIMIT: what reaching the limit does (notify the financial contacts, suspend the capture, auto: reactivate when the next period starts).', TABLE_WIDTH, '  '), '');
  }
  for (const c of report.companies) {
    if (c.suspended === null) continue;
    out.push(
      ...wrap(`${c.cnpj} ${c.name}: suspended since ${localDateTime(Date.parse(c.suspended.since), tz)} (${c.suspended.reason}); lift it with:`, TABLE_WIDTH, '  '),
      `  ${reactivateCommand(report.config, c.cnpj)}`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}
