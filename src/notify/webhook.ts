import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ContactConfig } from '../config/index.js';
import { DeliveryError } from './errors.js';

export type WebhookTarget = NonNullable<ContactConfig['webhook']>;

export const SIGNATURE_HEADER = 'X-DfeSync-Signature';

export interface WebhookOptions {
  fetchImpl: typeof fetch;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  /** aborts the request when the worker stops */
  signal?: AbortSignal;
  /** to turn a Retry-After date into a wait */
  now: number;
}

/** `sha256=<hex>` of the exact body: what a receiver recomputes with the shared secret. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The host a URL points at: all that messages and the CLI show (paths often carry tokens). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The contact's HMAC secret, read at each delivery so a rotated secret applies at once;
 * null when the webhook is unsigned. One trailing newline (an editor's or echo's) is not
 * part of it.
 */
export function webhookSecret(webhook: WebhookTarget, env: NodeJS.ProcessEnv): string | null {
  let secret: string | undefined;
  if (webhook.secretFile !== null) {
    try {
      secret = readFileSync(webhook.secretFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new DeliveryError('WEBHOOK_SECRET_UNAVAILABLE', `webhook secret file ${webhook.secretFile} cannot be read (${code}): fix it and the delivery is retried`, true, null, err);
    }
  } else if (webhook.secretEnv !== null) {
    secret = env[webhook.secretEnv];
    if (secret === undefined) {
      throw new DeliveryError('WEBHOOK_SECRET_UNAVAILABLE', `webhook secret variable ${webhook.secretEnv} is not set in the daemon's environment`, true);
    }
  } else {
    return null;
  }
  if (secret === '') throw new DeliveryError('WEBHOOK_SECRET_UNAVAILABLE', `webhook secret ${webhook.secretFile ?? `$${webhook.secretEnv}`} is empty`, true);
  return secret;
}

function retryAfterOf(value: string | null, now: number): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The start of a receiver's error text, on one line, for the log and the delivery record. */
async function excerpt(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  const line = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return line === '' ? '' : `: ${line}`;
}

/**
 * POSTs `body` (the event's JSON) to the webhook, signed when it has a secret. Resolves on
 * a 2xx; otherwise throws a DeliveryError saying whether a retry can help: 429, 5xx,
 * timeouts and network errors can, other answers cannot (a 3xx too: the URL to configure
 * is the final one, and following it would resend the event to a host nobody chose).
 */
export async function postWebhook(webhook: WebhookTarget, body: string, headers: Record<string, string>, opts: WebhookOptions): Promise<void> {
  const host = hostOf(webhook.url);
  const secret = webhookSecret(webhook, opts.env);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal]);
  let res: Response;
  try {
    res = await opts.fetchImpl(webhook.url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      body,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'dfe-sync',
        ...headers,
        ...(secret === null ? {} : { [SIGNATURE_HEADER]: signatureOf(body, secret) }),
      },
    });
  } catch (err) {
    if (opts.signal?.aborted) throw new DeliveryError('WEBHOOK_UNREACHABLE', `webhook ${host}: interrupted, dfe-sync is stopping`, true, null, err);
    if (timeout.aborted) throw new DeliveryError('WEBHOOK_TIMEOUT', `webhook ${host} did not answer within ${opts.timeoutMs / 1000} s`, true, null, err);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new DeliveryError('WEBHOOK_UNREACHABLE', `webhook ${host} unreachable (${why})`, true, null, err);
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => undefined);
    return;
  }
  const text = await excerpt(res);
  if (res.status === 429 || res.status >= 500) {
    throw new DeliveryError('WEBHOOK_HTTP_ERROR', `webhook ${host} answered HTTP ${res.status}${text}`, true, retryAfterOf(res.headers.get('retry-after'), opts.now));
  }
  if (res.status >= 300 && res.status < 400) {
    throw new DeliveryError('WEBHOOK_REDIRECTED', `webhook ${host} answered HTTP ${res.status} (a redirect): configure the URL it redirects to`, false);
  }
  throw new DeliveryError('WEBHOOK_REJECTED', `webhook ${host} refused the notification with HTTP ${res.status}${text}: not retried`, false);
}
