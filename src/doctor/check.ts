/** One doctor check: what was checked, how it went, and in words what to fix. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  status: CheckStatus;
  check: string;
  message: string;
}

export const ok = (check: string, message: string): CheckResult => ({ status: 'ok', check, message });
export const warn = (check: string, message: string): CheckResult => ({ status: 'warn', check, message });
export const fail = (check: string, message: string): CheckResult => ({ status: 'fail', check, message });

const LABELS: Record<CheckStatus, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL' };

/** `OK   check: message`, the message's further lines indented under it. */
export function formatCheck(r: CheckResult): string {
  const [first = '', ...rest] = r.message.split('\n');
  return [`${LABELS[r.status].padEnd(4)} ${r.check}: ${first}`, ...rest.map((l) => `       ${l}`)].join('\n') + '\n';
}

export function summarize(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  const failed = count('fail');
  const verdict = failed > 0 ? 'fix what FAIL names, then run doctor again' : count('warn') > 0 ? 'usable; look at the warnings' : 'all good';
  return `${count('ok')} OK, ${count('warn')} WARN, ${failed} FAIL: ${verdict}\n`;
}
