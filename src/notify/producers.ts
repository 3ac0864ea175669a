import type { Clock } from '../clock.js';
import type { CompanyConfig, Config, Role } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { formatLocalDate, formatLocalTime } from '../time/zone.js';
import type { CompanyRecord, LastCall, PendingSummary, Store } from '../store/index.js';
import type { Notify } from './notify.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Days before a certificate's notAfter at which its contacts are warned. */
export const CERTIFICATE_WARNING_DAYS = [30, 15, 7, 1] as const;
/** Days without a successful query at which `legal` is warned too (SEFAZ's limit is 60). */
export const SILENCE_ESCALATION_DAYS = [30, 45] as const;
/**
 * How far back the call log is searched for the last successful query. The daemon must
 * keep its call log at least this long, or a silence looks longer than it is.
 */
export const SILENCE_LOOKBACK_MS = 60 * DAY;

export interface ProducerContext {
  config: Config;
  store: Store<any>;
  clock: Clock;
  notify: Notify;
  /** where a producer that fails says so; the others still run */
  logger?: Logger;
}

/** What the certificate facts call for now: the tightest warning reached, or expired. */
export function certificateStage(notAfter: number, now: number): { expired: true } | { expired: false; days: number } | null {
  if (now >= notAfter) return { expired: true };
  const reached = CERTIFICATE_WARNING_DAYS.filter((d) => notAfter - now <= d * DAY);
  return reached.length === 0 ? null : { expired: false, days: Math.min(...reached) };
}

/** The highest silence threshold reached `since` a company was last heard of, or null. */
export function silenceThreshold(since: number, now: number, silentDays: number): number | null {
  const reached = [silentDays, ...SILENCE_ESCALATION_DAYS].filter((d) => now - since >= d * DAY);
  return reached.length === 0 ? null : Math.max(...reached);
}

/** Calls SEFAZ answered as a query (137 nothing new, 138 documents): what keeps a CNPJ alive there. */
function isAnsweredQuery(call: Pick<LastCall, 'op' | 'cStat'>): boolean {
  return call.op !== 'envEvento' && (call.cStat === '137' || call.cStat === '138');
}

/** The last successful query inside the lookback, the common case answered without reading the log. */
export function lastQueryAt(store: Store<any>, company: CompanyRecord<unknown>, now: number): number | null {
  const since = now - SILENCE_LOOKBACK_MS;
  const last = company.lastCall;
  if (last !== null && isAnsweredQuery(last)) return last.at >= since ? last.at : null;
  return store.listCalls(company.cnpj, { since }).find(isAnsweredQuery)?.at ?? null;
}

function hourKey(hour: number): string {
  return new Date(hour * HOUR).toISOString().slice(0, 13);
}

/**
 * Emits what the state calls for, each through `notify` with a stable dedupe key so that
 * running it every few minutes tells each thing once: certificates expiring (30/15/7/1
 * days) or expired, companies silent too long (escalated to `legal` at 30 and 45 days,
 * suspended ones included), full NF-e still missing after their ciência, and (when
 * enabled) the documents that arrived, one notice per company and hour. Companies not
 * configured, or disabled, are left alone.
 */
export function checkNotifications(ctx: ProducerContext, now: number = ctx.clock.now()): void {
  const companies = ctx.config.companies.filter((c) => c.enabled);
  const records = new Map(ctx.store.listCompanies().map((r) => [r.cnpj, r]));
  const guarded = (what: string, cnpj: string | null, work: () => void) => {
    try {
      work();
    } catch (err) {
      ctx.logger?.error({ err, cnpj }, `notifications: checking ${what} failed; trying again at the next check: ${(err as Error).message}`);
    }
  };
  for (const company of companies) {
    const record = records.get(company.cnpj);
    if (record === undefined) continue;
    guarded('the certificate', company.cnpj, () => checkCertificate(ctx, company, record, now));
    guarded('the silence', company.cnpj, () => checkSilence(ctx, company, record, now));
    if (ctx.config.notifications.documentsArrived) guarded('documents arrived', company.cnpj, () => checkDocumentsArrived(ctx, company, now));
  }
  guarded('full NF-e missing', null, () => checkFullMissing(ctx, companies, now));
}

function when(ctx: ProducerContext, at: number): string {
  return `${formatLocalDate(at, ctx.config.timezone)} ${formatLocalTime(at, ctx.config.timezone)}`;
}

function who(company: CompanyConfig): string {
  return `CNPJ ${company.cnpj} (${company.name})`;
}

function checkCertificate(ctx: ProducerContext, company: CompanyConfig, record: CompanyRecord<unknown>, now: number): void {
  const cert = record.certificate;
  if (cert === null) return;
  const stage = certificateStage(cert.notAfter, now);
  if (stage === null) return;
  const notAfter = new Date(cert.notAfter).toISOString();
  const data = { notAfter, file: cert.file, subject: cert.subject };
  const renew = `renew it and put the new .pfx at ${cert.file}: dfe-sync reloads it without a restart`;
  if (stage.expired) {
    ctx.notify({
      kind: 'certificate-expired', cnpj: company.cnpj, roles: ['technical'], dedupeKey: `cert-expired:${company.cnpj}:${notAfter}`, data,
      message: `The certificate of ${who(company)} expired on ${when(ctx, cert.notAfter)}: no SEFAZ call is made for it until it is renewed; ${renew}`,
    });
    return;
  }
  const daysLeft = Math.ceil((cert.notAfter - now) / DAY);
  ctx.notify({
    kind: 'certificate-expiring', cnpj: company.cnpj, roles: ['technical'], dedupeKey: `cert-expiring:${company.cnpj}:${notAfter}:${stage.days}`,
    data: { ...data, daysLeft, threshold: stage.days },
    message: `The certificate of ${who(company)} expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}, on ${when(ctx, cert.notAfter)}: ${renew}`,
  });
}

function silenceCause(ctx: ProducerContext, company: CompanyConfig, record: CompanyRecord<unknown>): string {
  const suspension = ctx.store.suspensionOf(company.cnpj);
  if (suspension !== null) {
    return `Its capture is suspended (${suspension.reason}): reactivate it with dfe-sync reactivate --config ${ctx.config.file} --cnpj ${company.cnpj}`;
  }
  if (record.stopped !== null) return `It is stopped until an operator acts: ${record.stopped}`;
  const last = record.lastCall;
  if (last === null) return 'No call was made for it yet: see dfe-sync status';
  const outcome = last.error ?? (last.cStat === null ? 'no answer' : `cStat ${last.cStat}${last.xMotivo === null ? '' : ` ${last.xMotivo}`}`);
  return `Its last call (${last.op} at ${when(ctx, last.at)}) ended with ${outcome}: see dfe-sync status`;
}

function checkSilence(ctx: ProducerContext, company: CompanyConfig, record: CompanyRecord<unknown>, now: number): void {
  const lastQuery = lastQueryAt(ctx.store, record, now);
  // Never answered inside the lookback: silent since it was added, if that is recent enough to know.
  const since = lastQuery ?? (record.createdAt > now - SILENCE_LOOKBACK_MS ? record.createdAt : null);
  const consequence = 'SEFAZ stops generating NSUs for a CNPJ that makes no query for 60 days, and the documents of that time never reach it';
  const roles: Role[] = ['technical', 'legal'];
  if (since === null) {
    // The start is out of sight: remind once a month for as long as it lasts.
    const month = formatLocalDate(now, ctx.config.timezone).slice(0, 7);
    ctx.notify({
      kind: 'silent', cnpj: company.cnpj, roles, dedupeKey: `silent:${company.cnpj}:over-60:${month}`,
      data: { lastQueryAt: null, days: null, threshold: 60, escalated: true },
      message: `${who(company)} has made no successful SEFAZ query for more than 60 days: ${consequence}. ${silenceCause(ctx, company, record)}`,
    });
    return;
  }
  const threshold = silenceThreshold(since, now, ctx.config.notifications.silentDays);
  if (threshold === null) return;
  const days = Math.floor((now - since) / DAY);
  const escalated = SILENCE_ESCALATION_DAYS.some((d) => threshold >= d);
  const sinceWords = lastQuery === null ? `since it was added on ${when(ctx, since)}` : `since ${when(ctx, since)}`;
  ctx.notify({
    kind: 'silent', cnpj: company.cnpj, roles: escalated ? roles : ['technical'],
    dedupeKey: `silent:${company.cnpj}:${new Date(since).toISOString()}:${threshold}`,
    data: { lastQueryAt: lastQuery === null ? null : new Date(lastQuery).toISOString(), days, threshold, escalated },
    message: `${who(company)} has made no successful SEFAZ query for ${days} days (${sinceWords}): ${consequence}. ${silenceCause(ctx, company, record)}`,
  });
}

/** The hours that ended before `now` and are still looked at (a restart within the hour loses none). */
const CLOSED_HOURS_LOOKED_AT = 2;

function checkDocumentsArrived(ctx: ProducerContext, company: CompanyConfig, now: number): void {
  const current = Math.floor(now / HOUR);
  const first = current - CLOSED_HOURS_LOOKED_AT;
  const perHour = new Map<number, number>();
  for (const call of ctx.store.listCalls(company.cnpj, { since: first * HOUR })) {
    const hour = Math.floor(call.at / HOUR);
    if (hour < current && call.docs > 0) perHour.set(hour, (perHour.get(hour) ?? 0) + call.docs);
  }
  for (const [hour, documents] of [...perHour].sort((a, b) => a[0] - b[0])) {
    const from = hour * HOUR;
    ctx.notify({
      kind: 'documents-arrived', cnpj: company.cnpj, roles: ['financial', 'technical'], dedupeKey: `docs:${company.cnpj}:${hourKey(hour)}`,
      data: { documents, from: new Date(from).toISOString(), to: new Date(from + HOUR).toISOString() },
      message: `${documents} document${documents === 1 ? '' : 's'} arrived for ${who(company)} between ${when(ctx, from)} and ${formatLocalTime(from + HOUR, ctx.config.timezone)}`,
    });
  }
}

/** Ciência or Confirmação registered: SEFAZ then releases the full NF-e. */
function registeredAt(s: PendingSummary): number | null {
  const m = s.manifestation;
  return m !== null && (m.tpEvento === '210210' || m.tpEvento === '210200') && m.state === 'done' ? m.doneAt : null;
}

/**
 * Keys are grouped by the hour in which their wait ran out, and a group is told once that
 * hour has ended: every key is in exactly one notice, and a backlog makes a few notices,
 * not one per key.
 */
function checkFullMissing(ctx: ProducerContext, companies: readonly CompanyConfig[], now: number): void {
  const waitMs = ctx.config.notifications.fullMissingHours * HOUR;
  const byCnpj = new Map(companies.map((c) => [c.cnpj, c]));
  const groups = new Map<string, { company: CompanyConfig; hour: number; keys: PendingSummary[] }>();
  for (const s of ctx.store.pendingSummaries()) {
    const company = byCnpj.get(s.cnpj);
    const at = registeredAt(s);
    if (company === undefined || at === null) continue;
    const hour = Math.floor((at + waitMs) / HOUR);
    if ((hour + 1) * HOUR > now) continue;
    const id = `${s.cnpj}:${hour}`;
    const group = groups.get(id) ?? { company, hour, keys: [] };
    group.keys.push(s);
    groups.set(id, group);
  }
  const hours = ctx.config.notifications.fullMissingHours;
  for (const { company, hour, keys } of groups.values()) {
    const n = keys.length;
    const listed = keys.slice(0, 100).map((k) => ({ chNFe: k.chNFe, emitterName: k.emitterName, vNF: k.vNF, fetch: k.fetch }));
    ctx.notify({
      kind: 'full-missing', cnpj: company.cnpj, roles: ['technical'], dedupeKey: `full-missing:${company.cnpj}:${hourKey(hour)}`,
      data: { count: n, hours, keys: listed },
      message:
        `${n} full NF-e of ${who(company)} still missing ${hours} hours after the Ciência da Operação was registered ` +
        `(${keys.slice(0, 3).map((k) => k.chNFe).join(', ')}${n > 3 ? ', …' : ''}): see dfe-sync pending --config ${ctx.config.file} --cnpj ${company.cnpj}`,
    });
  }
}
