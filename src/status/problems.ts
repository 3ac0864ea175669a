/**
 * What is wrong with a company, each as one sentence an operator can act on. Pure: the
 * facts come from the state database (read by snapshot.ts) and the config.
 */
import type { CompanyConfig } from '../config/index.js';
import type { CompanyState } from '../rules/state.js';
import { formatLocalDate, formatLocalTime } from '../time/zone.js';
import { cnpjBase } from '../sefaz/identifiers.js';
import type { CompanyRecord, Gap, Lease } from '../store/index.js';

export const DAY_MS = 86_400_000;
/** A certificate this close to its end is reported (renewals take days). */
export const CERT_WARN_DAYS = 30;
/**
 * SEFAZ generates NSUs only for actors that used the service in the last 60 days: a
 * company silent for half of that is reported while there is time to act.
 */
export const SILENCE_WARN_DAYS = 30;

/** Whole days from `now` to `at`, negative once past. */
export function daysUntil(at: number, now: number): number {
  return Math.floor((at - now) / DAY_MS);
}

/** The instant, and the config's time zone to read it in. */
export interface When {
  now: number;
  timeZone: string;
}

const day = (at: number, w: When): string => formatLocalDate(at, w.timeZone);
const local = (at: number, w: When): string => `${formatLocalDate(at, w.timeZone)} ${formatLocalTime(at, w.timeZone)}`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function stoppedProblem(stop: CompanyState['stopped']): string | null {
  if (stop === null) return null;
  return /^stopped\b/.test(stop.message) ? stop.message : `stopped until the operator acts: ${stop.message}`;
}

/**
 * How long a 656 we did not cause keeps the "another system" problem on the status: long
 * enough to be seen on the next look, not forever after the operator stopped the other
 * system (each new such 656 starts it again).
 */
export const ANOTHER_SYSTEM_SHOWN_MS = 7 * 86_400_000;

/** The last 656 SEFAZ gave although every rule was kept, while recent enough to show. */
export function recentAnotherSystem(anotherSystem: CompanyState['anotherSystem'] | undefined, now: number): CompanyState['anotherSystem'] {
  return anotherSystem != null && now - anotherSystem.at < ANOTHER_SYSTEM_SHOWN_MS ? anotherSystem : null;
}

export function anotherSystemProblem(anotherSystem: CompanyState['anotherSystem'], w: When): string | null {
  const recent = recentAnotherSystem(anotherSystem, w.now);
  if (recent === null) return null;
  return (
    `SEFAZ answered 656 at ${local(recent.at, w)} although every rule was kept: another system is querying this CNPJ; ` +
    'find and stop it (another program, or a second copy of dfe-sync with its own state): each of its queries breaks the NSU sequence dfe-sync shares with it'
  );
}

export function gapsProblem(openGaps: readonly Gap[], targetedPerHour: number | null): string | null {
  if (openGaps.length === 0) return null;
  const missing = openGaps.reduce((n, g) => n + (BigInt(g.toNSU) - BigInt(g.fromNSU) + 1n), 0n);
  const ranges = openGaps.map((g) => (g.fromNSU === g.toNSU ? g.fromNSU : `${g.fromNSU}-${g.toNSU}`)).join(', ');
  const budget = targetedPerHour === null ? '' : ` at up to ${targetedPerHour} per hour`;
  return (
    `${missing} NSU${missing === 1n ? '' : 's'} taken by another system are missing here (${ranges}): ` +
    `dfe-sync fetches them with consNSU${budget}; stop the other system so no more are lost`
  );
}

export function certificateProblems(
  record: CompanyRecord<CompanyState>,
  company: CompanyConfig,
  w: When,
): string[] {
  const now = w.now;
  const cert = record.certificate;
  if (cert === null) {
    return [
      `certificate not read yet: the daemon reads ${company.certificate.pfx} on the company's first call; run dfe-sync doctor to check it now`,
    ];
  }
  const problems: string[] = [];
  if (cert.cnpj === null) {
    problems.push(`the certificate in ${cert.file} carries no CNPJ: point certificate.pfx at this company's e-CNPJ A1 certificate`);
  } else if (cnpjBase(cert.cnpj) !== cnpjBase(company.cnpj)) {
    problems.push(
      `the certificate in ${cert.file} belongs to CNPJ ${cert.cnpj}, not to this company (base ${cnpjBase(cert.cnpj)} is not ${cnpjBase(company.cnpj)}): ` +
        "SEFAZ answers 593; point certificate.pfx at this company's e-CNPJ certificate",
    );
  }
  if (now >= cert.notAfter) {
    problems.push(
      `the certificate in ${cert.file} expired on ${day(cert.notAfter, w)}: install the company's renewed e-CNPJ A1 certificate; no call is made until then`,
    );
  } else {
    const left = daysUntil(cert.notAfter, now);
    if (left < CERT_WARN_DAYS) {
      problems.push(
        `the certificate in ${cert.file} expires in ${plural(left, 'day')}, on ${day(cert.notAfter, w)}: renew it and replace the file before then (the daemon reads a replaced file on its next call)`,
      );
    }
  }
  return problems;
}

/**
 * `lastSuccessAt` is the latest 137/138 answer known within the window looked at, or
 * null when there is none there.
 */
export function silenceProblem(
  record: CompanyRecord<CompanyState>,
  lastSuccessAt: number | null,
  w: When,
): string | null {
  const since = w.now - SILENCE_WARN_DAYS * DAY_MS;
  if (lastSuccessAt !== null && lastSuccessAt >= since) return null;
  if (record.createdAt >= since) return null;
  const last = record.lastCall;
  const lastWords =
    last === null
      ? 'no call was ever made'
      : `the last call, at ${local(last.at, w)}, ${last.cStat === null ? `failed (${last.error ?? 'no answer'})` : `was answered ${last.cStat}${last.xMotivo ? ` "${last.xMotivo}"` : ''}`}`;
  return (
    `no successful SEFAZ answer (cStat 137 or 138) for more than ${SILENCE_WARN_DAYS} days (${lastWords}): ` +
    'SEFAZ stops generating NSUs for a CNPJ silent for 60 days; find out from the log why its calls fail or do not happen'
  );
}

export function goneLeaseProblem(lease: Lease): string {
  return (
    `lease held by process ${lease.pid} on ${lease.host}, which is no longer running: ` +
    'no process syncs this CNPJ now; start the daemon (it takes the lease over at once)'
  );
}

export function noDatabaseProblem(file: string): string {
  return `no state yet: the daemon has not run (no database at ${file}); start it with systemctl start dfe-sync or dfe-sync run --config FILE`;
}

export const NOT_IN_DATABASE_PROBLEM =
  'not in the state database yet: the daemon adds it when it starts or reloads the config (systemctl reload dfe-sync, or SIGHUP)';
