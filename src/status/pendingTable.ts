/**
 * `dfe-sync pending` as people read it: the keys grouped by company, one aligned row
 * each within 120 columns, and the reason in a sentence under its row.
 */
import { formatLocalDate, formatLocalTime } from '../time/zone.js';
import { situationWords, type PendingKey, type PendingReport, type PendingSituation } from './pending.js';
import { TABLE_WIDTH, wrap } from './table.js';

const GAP = '  ';
const INDENT = '  ';
const REASON_INDENT = '      ';
const EMITTER_WIDTH = 24;

const cut = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, width - 1)}…`);

function cells(k: PendingKey): string[] {
  return [k.chNFe, k.dhEmi?.slice(0, 10) ?? '-', k.vNF ?? '-', cut(k.emitterName ?? '-', EMITTER_WIDTH), situationWords(k)];
}

const HEADER = ['KEY', 'ISSUED', 'VALUE', 'EMITTER', 'SITUATION'];
const RIGHT = new Set([2]);

export function formatPendingTable(report: PendingReport, names: ReadonlyMap<string, string>, timeZone: string): string {
  const now = Date.parse(report.generatedAt);
  const out = [
    `dfe-sync pending at ${formatLocalDate(now, timeZone)} ${formatLocalTime(now, timeZone)} ${timeZone}: ` +
      `${report.total} key${report.total === 1 ? '' : 's'} without the full XML`,
    `config ${report.config}, state ${report.database}`,
    '',
  ];
  if (!report.databaseFound) {
    out.push(`No state yet: the daemon has not run (no database at ${report.database}), so no summary is stored.`);
    return `${out.join('\n')}\n`;
  }
  if (report.total === 0) {
    out.push('No key is waiting for its full XML.');
    return `${out.join('\n')}\n`;
  }
  const rows = report.keys.map(cells);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (row: readonly string[]): string =>
    INDENT + row.map((text, i) => (RIGHT.has(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!))).join(GAP).trimEnd();

  const byCompany = new Map<string, PendingKey[]>();
  for (const k of report.keys) byCompany.set(k.cnpj, [...(byCompany.get(k.cnpj) ?? []), k]);
  for (const [cnpj, keys] of byCompany) {
    out.push(`${cnpj} ${names.get(cnpj) ?? '(not in the config)'}: ${keys.length} key${keys.length === 1 ? '' : 's'}`);
    out.push(line(HEADER));
    for (const k of keys) {
      out.push(line(cells(k)));
      out.push(...wrap(k.reason, TABLE_WIDTH - REASON_INDENT.length, '').map((l) => REASON_INDENT + l));
    }
    out.push('');
  }
  const counts = (Object.entries(report.bySituation) as [PendingSituation, number][]).map(([s, n]) => `${n} ${s}`);
  out.push(...wrap(`By situation: ${counts.join(', ')}. For scripts: dfe-sync pending --json.`, TABLE_WIDTH, '  '));
  return `${out.join('\n')}\n`;
}
