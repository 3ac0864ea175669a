import type { Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { DueDelivery, Store } from '../store/index.js';
import { runCommandHook } from './command.js';
import { DeliveryError } from './errors.js';
import { contactOfChannel } from './notify.js';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './retry.js';
import { hostOf, postWebhook } from './webhook.js';

export interface DeliveryWorkerOptions {
  /** the running configuration (it changes on SIGHUP): contacts are looked up at each attempt */
  config: () => Config;
  store: Store<any>;
  clock: Clock;
  logger: Logger;
  /** default: Node's global fetch */
  fetchImpl?: typeof fetch;
  /** where secretEnv is read; default process.env */
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  webhookTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** deliveries attempted at once */
  concurrency?: number;
  /** the longest the running loop sleeps before looking for new notifications (wall-clock ms) */
  pollMs?: number;
  /** how long stop() lets attempts in flight finish before interrupting them (wall-clock ms) */
  stopGraceMs?: number;
}

const BATCH = 50;
/** the shortest sleep of the loop, so that a store that keeps failing cannot spin it */
const MIN_SLEEP_MS = 250;

/**
 * What a contact receives: the stored notification with its id (the same on every channel
 * and every retry, for the receiver to deduplicate) and when it was made.
 */
export function eventBody(d: DueDelivery): Record<string, unknown> {
  const { kind: _kind, cnpj: _cnpj, companyName = null, message = '', id: _id, at: _at, ...data } = d.payload;
  return { id: d.notificationId, kind: d.kind, cnpj: d.cnpj, companyName, message, at: new Date(d.createdAt).toISOString(), ...data };
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Delivers the stored notifications to their webhooks and commands, each attempt recorded
 * in the store: retried with capped exponential backoff while it can help, given up after
 * a day. It runs beside the sync, never inside it, and never throws: a contact that cannot
 * be reached costs a log line, not a SEFAZ call.
 */
export class DeliveryWorker {
  private readonly retry: RetryPolicy;
  private readonly fetchImpl: typeof fetch;
  private chain: Promise<number> = Promise.resolve(0);
  private abort = new AbortController();
  private stopping = false;
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: DeliveryWorkerOptions) {
    this.retry = opts.retry ?? DEFAULT_RETRY_POLICY;
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  /** Attempts every delivery due now; resolves with how many were delivered. Runs one at a time. */
  runDue(): Promise<number> {
    this.chain = this.chain.then(() => this.runDueNow()).catch((err: unknown) => {
      this.opts.logger.error({ err }, `notifications: delivery pass failed: ${(err as Error).message}`);
      return 0;
    });
    return this.chain;
  }

  /** The daemon's loop: wakes when the next retry is due, and every pollMs for new notifications. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Look now: a notification was just recorded. */
  wake(): void {
    if (this.running && this.timer !== null) this.schedule(0);
  }

  /**
   * Stops the loop: no new attempt starts, and those in flight may finish within the grace
   * period (a receiver that got the event should not get it again after a restart); past
   * it they are interrupted and retried after the restart.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const grace = setTimeout(() => this.abort.abort(), this.opts.stopGraceMs ?? 5000);
    await this.chain;
    clearTimeout(grace);
    this.abort = new AbortController();
    this.stopping = false;
  }

  private schedule(wallMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runDue().then(() => {
        if (this.running && this.timer === null) this.schedule(this.sleepMs());
      });
    }, wallMs);
    this.timer.unref();
  }

  private sleepMs(): number {
    const poll = this.opts.pollMs ?? 5000;
    try {
      const next = this.opts.store.nextDeliveryAt();
      if (next === null) return poll;
      const wall = (next - this.opts.clock.now()) / (this.opts.clock.rate ?? 1);
      return Math.min(poll, Math.max(MIN_SLEEP_MS, wall));
    } catch {
      return poll;
    }
  }

  private async runDueNow(): Promise<number> {
    let delivered = 0;
    const seen = new Set<number>();
    const signal = this.abort.signal;
    while (!this.stopping) {
      let due: DueDelivery[];
      try {
        due = this.opts.store.dueDeliveries(this.opts.clock.now(), BATCH).filter((d) => !seen.has(d.id));
      } catch (err) {
        this.opts.logger.error({ err }, `notifications: could not read the deliveries due; trying again later: ${(err as Error).message}`);
        break;
      }
      if (due.length === 0) break;
      for (const d of due) seen.add(d.id);
      await eachLimited(due, this.opts.concurrency ?? 4, async (d) => {
        if (!this.stopping && (await this.deliver(d, signal))) delivered++;
      });
    }
    return delivered;
  }

  private async deliver(d: DueDelivery, signal: AbortSignal): Promise<boolean> {
    const { store, clock } = this.opts;
    const log = this.opts.logger.child({ cnpj: d.cnpj, notification: d.kind, notificationId: d.notificationId, channel: d.channel });
    try {
      const target = contactOfChannel(this.opts.config(), d.cnpj, d.channel);
      if (target === null) throw new DeliveryError('CONTACT_REMOVED', `contact removed: ${d.channel} is no longer in the configuration`, false);
      const body = JSON.stringify(eventBody(d));
      const { contact } = target;
      if (target.type === 'webhook') {
        await postWebhook(contact.webhook!, body, { 'X-DfeSync-Event': d.kind, 'X-DfeSync-Id': String(d.notificationId) }, {
          fetchImpl: this.fetchImpl,
          timeoutMs: this.opts.webhookTimeoutMs ?? 10_000,
          env: this.opts.env ?? process.env,
          signal,
          now: clock.now(),
        });
      } else {
        await runCommandHook(contact.command!, body, {
          timeoutMs: this.opts.commandTimeoutMs ?? 30_000,
          signal,
          extraEnv: { DFESYNC_EVENT_ID: String(d.notificationId), DFESYNC_EVENT_KIND: d.kind, DFESYNC_CNPJ: d.cnpj ?? '' },
        });
      }
      store.deliveryDone(d.id, clock.now());
      const where = target.type === 'webhook' ? `webhook ${hostOf(contact.webhook!.url)}` : `command ${contact.command![0]}`;
      log.info({ attempts: d.attempts + 1 }, `notification ${d.kind} delivered to ${contact.name} (${where})`);
      return true;
    } catch (err) {
      this.failed(d, err, log);
      return false;
    }
  }

  private failed(d: DueDelivery, err: unknown, log: Logger): void {
    const e = err instanceof DeliveryError ? err : null;
    const message = e?.message ?? `unexpected error: ${(err as Error).message}`;
    const attempts = d.attempts + 1;
    const retryAt = e === null || e.retryable ? nextAttemptAt(this.retry, attempts, d.createdAt, this.opts.clock.now(), e?.retryAfterMs ?? null) : null;
    try {
      this.opts.store.deliveryFailed(d.id, message, retryAt);
    } catch (storeErr) {
      log.error({ err: storeErr }, `notifications: could not record a failed delivery: ${(storeErr as Error).message}`);
      return;
    }
    const fields = { code: e?.code ?? 'UNEXPECTED', attempts };
    if (retryAt !== null) {
      log.warn({ ...fields, retryAt: new Date(retryAt).toISOString() }, `notification ${d.kind} not delivered to ${d.channel}: ${message}; trying again at ${new Date(retryAt).toISOString()}`);
    } else {
      const why = e !== null && !e.retryable ? 'not retried' : 'giving up after a day of attempts';
      log.error(fields, `notification ${d.kind} for ${d.cnpj ?? 'all companies'} NOT delivered to ${d.channel} (${why}): ${message}`);
    }
  }
}
