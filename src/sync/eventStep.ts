import { signEnvEvento } from '../cert/sign.js';
import type { CompanyConfig } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { backoffDelay } from '../rules/backoff.js';
import { EVENT_ACTION, buildEventEnvelope } from '../sefaz/eventEnvelope.js';
import { BATCH_PROCESSED, isFinal, parseEventResponse, type EventResult } from '../sefaz/eventResponse.js';
import { describeCStat } from '../sefaz/catalog.js';
import { applyTargetedAnswer } from '../rules/engine.js';
import { CertificateUnusableError } from './certificates.js';
import { EVENT_TYPES, MAX_EVENTS_PER_BATCH, buildEnvEvento, formatDhEvento, newIdLote, type EventInput } from '../sefaz/events.js';
import type { Manifestation, ManifestationKey, ManifestationResult } from '../store/index.js';
import { observeCall, ruleSettingsOf, type SyncContext } from './context.js';
import { failureOf, logEffects } from './distStep.js';

/** dhEvento a little behind our clock: SEFAZ refuses for good an event dated after its own time (578). */
const DH_EVENTO_LAG_MS = 5_000;
/** A paused company's events look for a usable certificate again this often. */
const CERTIFICATE_RECHECK_MS = 60_000;

/**
 * A batch refused as a whole that says nothing of its events: SEFAZ unwell, the
 * certificate (280–286, e.g. a revocation list it could not reach), or a 656.
 */
function batchRetryable(cStat: string): boolean {
  return cStat === '656' || /^28[0-6]$/.test(cStat) || describeCStat(cStat).class === 'transient';
}

/** Outcomes after which the event has done its job. */
const DONE = new Set(['registered', 'duplicate', 'superseded']);

const keyOf = (m: Manifestation): ManifestationKey => ({ chNFe: m.chNFe, tpEvento: m.tpEvento, nSeqEvento: m.nSeqEvento });

function inputOf(ctx: SyncContext, company: CompanyConfig, m: Manifestation, at: number): EventInput {
  return {
    tpAmb: ctx.config.tpAmb,
    author: { CNPJ: company.cnpj },
    chNFe: m.chNFe,
    tpEvento: m.tpEvento,
    nSeqEvento: m.nSeqEvento,
    dhEvento: formatDhEvento(at - DH_EVENTO_LAG_MS, ctx.config.timezone),
    ...(m.xJust === null ? {} : { xJust: m.xJust }),
  };
}

function resultOf(r: EventResult, retryAt: number): ManifestationResult {
  const base = { outcome: r.outcome, cStat: r.cStat, xMotivo: r.xMotivo, nProt: r.nProt, dhRegEvento: r.dhRegEvento };
  if (!isFinal(r.outcome)) return { ...base, state: 'pending', nextAttemptAt: retryAt };
  return { ...base, state: DONE.has(r.outcome) ? 'done' : 'failed' };
}

/**
 * Sends the company's due events (up to 20, one signed batch) to NFeRecepcaoEvento4.
 * An event rejected for good is never sent again on its own (SEFAZ answers 656 to the
 * same rejected request repeated); only transport failures and SEFAZ being unwell are
 * retried, with backoff. Returns when the next one may go, or null when none waits.
 */
export async function eventStep(ctx: SyncContext, company: CompanyConfig): Promise<number | null> {
  const { store, clock, logger } = ctx;
  const cnpj = company.cnpj;
  const now = clock.now();
  const due = store.dueManifestations(cnpj, now, MAX_EVENTS_PER_BATCH);
  if (due.length === 0) return store.nextManifestationAt(cnpj);
  // After any 656 the CNPJ makes no call of any kind for the hour: events included.
  const blockedUntil = store.getCompany(cnpj)?.state.blockedUntil ?? null;
  if (blockedUntil !== null && blockedUntil > now) return blockedUntil;
  const settings = ruleSettingsOf(ctx.config, company.targetedPerHour);

  // An event that cannot even be built (a bad key typed into `manifest`) fails alone.
  const sendable: Manifestation[] = [];
  const refused: { key: ManifestationKey; result: ManifestationResult }[] = [];
  for (const m of due) {
    try {
      buildEnvEvento({ idLote: '1', events: [inputOf(ctx, company, m, now)] });
      sendable.push(m);
    } catch (err) {
      refused.push({ key: keyOf(m), result: { state: 'failed', outcome: 'rejected', xMotivo: (err as Error).message } });
    }
  }
  if (refused.length > 0) store.finishManifestations(cnpj, refused, now);
  if (sendable.length === 0) return store.nextManifestationAt(cnpj);

  let certificate;
  try {
    certificate = ctx.certificates.get(company);
  } catch (err) {
    // the distNSU step pauses the company and says why; events wait for a usable certificate
    if (err instanceof CertificateUnusableError) return clock.now() + CERTIFICATE_RECHECK_MS;
    throw err;
  }
  const signed = signEnvEvento(
    buildEnvEvento({ idLote: newIdLote(now, ctx.random), events: sendable.map((m) => inputOf(ctx, company, m, now)) }),
    { keyPem: certificate.certificate.keyPem, certPem: certificate.certificate.certPem },
  );
  const envelope = buildEventEnvelope(signed, { action: ctx.config.sefaz.eventAction ?? EVENT_ACTION });
  store.markManifestationsSending(cnpj, sendable.map(keyOf), now);
  const attempts = Math.max(...sendable.map((m) => m.attempts)) + 1;
  const retryAt = (): number => clock.now() + backoffDelay(attempts, settings, ctx.random);

  let results: EventResult[];
  let batch: { cStat: string; xMotivo: string };
  let ms: number;
  try {
    const answer = await ctx.transport.post({
      url: ctx.config.sefaz.urls.recepcaoEvento, identity: certificate.identity, body: envelope.body, contentType: envelope.contentType,
    });
    ms = answer.ms;
    const parsed = parseEventResponse(answer.body, sendable.map((m) => ({ chNFe: m.chNFe, tpEvento: m.tpEvento, nSeqEvento: m.nSeqEvento })));
    results = parsed.events;
    batch = parsed;
  } catch (err) {
    if (failureOf(err) === null) {
      // not a failed call but a bug or a database error: the events go back to the queue
      store.finishManifestations(cnpj, sendable.map((m) => ({ key: keyOf(m), result: { state: 'pending' } })), clock.now());
      throw err;
    }
    const at = retryAt();
    // Sending again is safe: an event SEFAZ did register comes back 573, which counts as done.
    store.finishManifestations(cnpj, sendable.map((m) => ({ key: keyOf(m), result: { state: 'pending', nextAttemptAt: at } })), clock.now());
    observeCall(ctx, cnpj, 'envEvento', null);
    logger.warn({ cnpj, op: 'envEvento', events: sendable.length, error: (err as DfeSyncError).code, nextAt: new Date(at).toISOString() }, (err as Error).message);
    return at;
  }

  observeCall(ctx, cnpj, 'envEvento', batch.cStat);
  if (batch.cStat !== BATCH_PROCESSED && batchRetryable(batch.cStat)) {
    // SEFAZ judged no event: a 656 blocks the CNPJ for the hour, a certificate or service
    // problem is tried again later; none of the events is lost to it.
    let until = retryAt();
    if (batch.cStat === '656') {
      const outcome = applyTargetedAnswer(store.getCompany(cnpj)!.state, { cStat: batch.cStat, xMotivo: batch.xMotivo }, clock.now(), settings);
      store.saveState(cnpj, outcome.state);
      logEffects(ctx, company, outcome.effects);
      until = outcome.state.blockedUntil ?? until;
    }
    store.finishManifestations(cnpj, sendable.map((m) => ({ key: keyOf(m), result: { state: 'pending', cStat: batch.cStat, xMotivo: batch.xMotivo, nextAttemptAt: until } })), clock.now());
    logger.warn({ cnpj, op: 'envEvento', cStat: batch.cStat, xMotivo: batch.xMotivo, events: sendable.length, nextAt: new Date(until).toISOString() },
      `event batch refused as a whole (${batch.cStat} ${batch.xMotivo}): the ${sendable.length} event(s) wait and go again`);
    return until;
  }
  const retry = retryAt();
  store.finishManifestations(cnpj, sendable.map((m, i) => ({ key: keyOf(m), result: resultOf(results[i]!, retry) })), clock.now());
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  logger.info({ cnpj, op: 'envEvento', cStat: batch.cStat, xMotivo: batch.xMotivo, events: sendable.length, outcomes: counts, ms },
    `${sendable.length} event(s) sent: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  for (const [i, r] of results.entries()) {
    if (!DONE.has(r.outcome)) {
      const m = sendable[i]!;
      logger.warn({ cnpj, chNFe: m.chNFe, tpEvento: m.tpEvento, cStat: r.cStat, xMotivo: r.xMotivo, outcome: r.outcome },
        `${EVENT_TYPES[m.tpEvento].descEvento} for ${m.chNFe}: ${r.cStat} ${r.xMotivo}`);
    }
  }
  return store.nextManifestationAt(cnpj);
}
