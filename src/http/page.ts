/**
 * The status page: a capture panel with one row per CNPJ, rendered on the server so it
 * shows everything without JavaScript. The script only adds the filter and the refresh.
 * Pure: the report and the config in, the HTML and the Content-Security-Policy out.
 */
import { createHash } from 'node:crypto';
import type { CompanyConfig, Config } from '../config/index.js';
import { formatInstant } from '../rules/describe.js';
import { formatCnpj } from '../sefaz/identifiers.js';
import { formatLocalDate, formatLocalTime } from '../time/zone.js';
import type { CompanyStatus, StatusReport } from '../status/index.js';
import { html, raw, type Html } from './html.js';

export const REFRESH_SECONDS = 30;
const MINUTE_MS = 60_000;

const STYLE = `
body{font:13px/1.35 system-ui,sans-serif;margin:0;color:#1c1c1c;background:#fafafa}
header{padding:8px 12px;background:#fff;border-bottom:1px solid #ddd;position:sticky;top:0;z-index:2}
h1{font-size:16px;margin:0 0 4px}
.meta{margin:0 0 6px;color:#555}
#tools input{width:28em;padding:3px 6px;font:inherit}
#tools span{margin-left:10px;color:#555}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0;font-weight:600}
td.num{text-align:right;white-space:nowrap}
.cnpj,.nsu{font-family:ui-monospace,monospace;white-space:nowrap}
tr.blocked{background:#fde8e8}
tr.blocked .next{color:#a00000;font-weight:600}
tr.stopped,tr.suspended{background:#fff4dc}
tr.off{color:#777}
.expired{color:#a00000;font-weight:600}
.cstat{font-weight:600}
ul.problems{margin:0;padding-left:1.1em;color:#8a3b00}
.none{color:#999}
#none{padding:12px}
`;

const SCRIPT = `
(() => {
  const input = document.getElementById('filter');
  const rows = Array.from(document.querySelectorAll('#companies tbody tr'));
  const shown = document.getElementById('shown');
  const none = document.getElementById('none');
  const compact = (s) => s.replace(/[.\\/\\s-]/g, '');
  const texts = rows.map((r) => (r.dataset.cnpj + ' ' + r.textContent).toLowerCase().replace(/\\s+/g, ' '));
  const apply = () => {
    const words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let n = 0;
    rows.forEach((r, i) => {
      const hit = words.every((w) => texts[i].includes(w) || (compact(w) !== '' && texts[i].includes(compact(w))));
      r.hidden = !hit;
      if (hit) n += 1;
    });
    shown.textContent = n + ' of ' + rows.length + ' shown';
    none.hidden = n !== 0 || rows.length === 0;
  };
  const here = () => {
    const u = new URL(location.href);
    if (input.value === '') u.searchParams.delete('q'); else u.searchParams.set('q', input.value);
    return u.href;
  };
  input.value = new URLSearchParams(location.search).get('q') || '';
  input.addEventListener('input', () => { apply(); history.replaceState(null, '', here()); });
  document.getElementById('tools').hidden = false;
  apply();
  setTimeout(() => location.replace(here()), ${REFRESH_SECONDS * 1000});
})();
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Only the page's own inline script and style run; nothing is loaded from anywhere. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Keys the page shows in their own columns; any other field a report gains goes under "more". */
const SHOWN_FIELDS = new Set<string>([
  'cnpj', 'name', 'enabled', 'inConfig', 'window', 'ultNSU', 'maxNSU', 'documents', 'documentsToday', 'lastCallAt', 'lastOp',
  'lastCStat', 'lastXMotivo', 'lastError', 'nextDistAt', 'next', 'nextReason', 'blockedUntil', 'certificateCnpj',
  'certificateNotAfter', 'certificateDaysLeft', 'anotherSystem', 'gaps', 'queue', 'targetedCallsLastHour',
  'summariesPending', 'problems', 'monthlyUsage', 'suspended',
]);

type Loose = CompanyStatus & Record<string, unknown>;

interface View {
  now: number;
  timeZone: string;
}

/** Future instants rounded up (the call is not before the minute shown), past ones down. */
function at(iso: string, v: View, round: 'up' | 'down'): string {
  const ms = Date.parse(iso);
  const minute = round === 'up' ? Math.ceil(ms / MINUTE_MS) * MINUTE_MS : Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  return formatInstant(minute, { now: v.now, timeZone: v.timeZone });
}

const nsu = (value: string | null): string => (value === null ? '-' : value.replace(/^0+(?=\d)/, ''));
const none = html`<span class="none">-</span>`;
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function isSuspended(c: Loose): boolean {
  return c.suspended !== null || c.nextReason === 'suspended';
}

function captureCell(c: Loose): Html {
  if (!c.inConfig) return html`off (not in config)`;
  if (isSuspended(c)) return html`suspended`;
  return html`${c.enabled ? 'on' : 'off'}`;
}

function lastQueryCell(c: Loose, v: View): Html {
  if (c.lastCallAt === null) return html`never`;
  return html`${at(c.lastCallAt, v, 'down')} ${c.lastOp ?? ''}`;
}

function lastAnswerCell(c: Loose): Html {
  if (c.lastCallAt === null) return none;
  if (c.lastCStat === null) return html`no answer${c.lastError === null ? '' : ` (${c.lastError})`}`;
  return html`<span class="cstat">${c.lastCStat}</span> ${c.lastXMotivo ?? ''}`;
}

function nextCell(c: Loose, v: View): Html {
  if (c.blockedUntil !== null) return html`blocked by 656 until ${at(c.blockedUntil, v, 'up')}`;
  const now = c.nextDistAt !== null && Date.parse(c.nextDistAt) <= v.now ? 'now: ' : '';
  return html`${now}${c.next}`;
}

function documentsCell(c: Loose): Html {
  const today = num(c.documentsToday);
  return today === null ? html`${c.documents}` : html`${today} today<br>${c.documents} total`;
}

function targetedCell(c: Loose, company: CompanyConfig | undefined): Html {
  const budget = company === undefined ? '' : ` / ${company.targetedPerHour}`;
  return html`${c.targetedCallsLastHour}${budget}${c.queue > 0 ? html`<br>${c.queue} queued` : ''}`;
}

function certificateCell(c: Loose, v: View): Html {
  if (c.certificateCnpj === null && c.certificateNotAfter === null) return none;
  const days = c.certificateDaysLeft;
  const until = c.certificateNotAfter === null ? '' : formatLocalDate(Date.parse(c.certificateNotAfter), v.timeZone);
  const left =
    days === null ? ''
    : days < 0 ? html`<span class="expired">expired on ${until}</span>`
    : html`${days} day${days === 1 ? '' : 's'} left (${until})`;
  return html`<span class="cnpj">${c.certificateCnpj === null ? 'no CNPJ' : formatCnpj(c.certificateCnpj)}</span><br>${left}`;
}

/** The report's usage when it has one (a count, or {calls, limit}), against the configured limit. */
function monthlyUsageCell(c: Loose, company: CompanyConfig | undefined): Html {
  const usage = c.monthlyUsage;
  const record = typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>) : {};
  const calls = num(usage) ?? num(record.calls);
  const limit = num(record.limit) ?? company?.monthlyLimit?.calls ?? null;
  if (calls === null && limit === null) return html`no limit`;
  if (calls === null) return html`limit ${limit}`;
  return limit === null ? html`${calls} calls` : html`${calls} / ${limit}`;
}

/** What the columns do not show: gaps, and any field the report has gained since this page was written. */
function moreLines(c: Loose): string[] {
  const extra = Object.entries(c).filter(([k, value]) => !SHOWN_FIELDS.has(k) && value !== null && value !== undefined);
  const gaps = c.gaps.map((g) => `${nsu(g.fromNSU)}..${nsu(g.toNSU)}`);
  return [
    ...(gaps.length > 0 ? [`gaps: ${gaps.join(', ')}`] : []),
    ...(c.anotherSystem ? ['another system is querying this CNPJ'] : []),
    ...extra.map(([k, value]) => `${k}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`),
  ];
}

function rowClasses(c: Loose): string {
  return [
    'company',
    c.blockedUntil !== null ? 'blocked' : '',
    c.nextReason === 'stopped' ? 'stopped' : '',
    isSuspended(c) ? 'suspended' : '',
    !c.enabled || !c.inConfig ? 'off' : '',
    c.problems.length > 0 ? 'has-problems' : '',
  ].filter((x) => x !== '').join(' ');
}

function row(c: Loose, company: CompanyConfig | undefined, v: View, more: string[] | null): Html {
  return html`<tr class="${rowClasses(c)}" data-cnpj="${c.cnpj}">
<td class="cnpj">${formatCnpj(c.cnpj)}</td><td class="name">${c.name}</td><td class="capture">${captureCell(c)}</td><td class="window">${c.window}</td>
<td class="last-query">${lastQueryCell(c, v)}</td><td class="last-answer">${lastAnswerCell(c)}</td><td class="next" title="${c.nextDistAt ?? ''}">${nextCell(c, v)}</td>
<td class="nsu">${nsu(c.ultNSU)} of ${nsu(c.maxNSU)}</td><td class="num documents">${documentsCell(c)}</td><td class="num pending">${c.summariesPending}</td>
<td class="num targeted">${targetedCell(c, company)}</td><td class="certificate">${certificateCell(c, v)}</td><td class="num usage">${monthlyUsageCell(c, company)}</td>
<td class="problems">${c.problems.length === 0 ? '' : html`<ul class="problems">${c.problems.map((p) => html`<li>${p}</li>`)}</ul>`}</td>${more === null ? '' : html`<td class="more">${more.map((l, i) => html`${i > 0 ? html`<br>` : ''}${l}`)}</td>`}
</tr>`;
}

function summary(report: StatusReport): string {
  const n = report.companies.length;
  const blocked = report.companies.filter((c) => c.blockedUntil !== null).length;
  const withProblems = report.companies.filter((c) => c.problems.length > 0).length;
  return [`${n} compan${n === 1 ? 'y' : 'ies'}`, ...(blocked > 0 ? [`${blocked} blocked by 656`] : []), ...(withProblems > 0 ? [`${withProblems} with problems`] : [])].join(', ');
}

export function renderStatusPage(report: StatusReport, config: Config): string {
  const v: View = { now: Date.parse(report.generatedAt), timeZone: report.timezone };
  const companies = new Map(config.companies.map((c) => [c.cnpj, c]));
  const more = report.companies.map((c) => moreLines(c as Loose));
  const showMore = more.some((lines) => lines.length > 0);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dfe-sync: ${summary(report)}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<header>
<h1>dfe-sync capture panel</h1>
<p class="meta">${report.environment} · ${formatLocalDate(v.now, v.timeZone)} ${formatLocalTime(Math.floor(v.now / 1000) * 1000, v.timeZone)} ${report.timezone} · ${summary(report)}</p>
<div id="tools" hidden><input id="filter" type="search" placeholder="Filter by CNPJ, name, cStat, any text" aria-label="Filter" autocomplete="off"><span id="shown"></span><span>refreshes every ${REFRESH_SECONDS} s</span></div>
</header>
<main>
<table id="companies">
<thead><tr><th>CNPJ</th><th>Name</th><th>Capture</th><th>Window</th><th>Last query</th><th>Last answer</th><th>Next call</th><th>ultNSU of maxNSU</th><th>Documents</th><th>Summaries pending</th><th>Targeted queries, last hour</th><th>Certificate</th><th>Monthly usage</th><th>Problems</th>${showMore ? html`<th>More</th>` : ''}</tr></thead>
<tbody>
${report.companies.map((c, i) => row(c as Loose, companies.get(c.cnpj), v, showMore ? more[i]! : null))}
</tbody>
</table>
<p id="none" hidden>No company matches the filter.</p>
</main>
<script>${raw(SCRIPT)}</script>
</body>
</html>
`;
  return page.text;
}
