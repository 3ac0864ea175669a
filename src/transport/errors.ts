import { DfeSyncError } from '../errors.js';

/**
 * Whether the request could have reached SEFAZ. The daemon's rules hinge on it: a
 * failure `before-send` is retried with backoff, while an answer lost `after-send` may
 * belong to a request SEFAZ processed (DESIGN.md §2), so it can only be repeated with the
 * same ultNSU, or is treated as a possible 137.
 */
export type TransportPhase = 'before-send' | 'after-send';

export type TransportErrorCode =
  | 'TLS_ERROR'
  | 'CONNECT_ERROR'
  | 'CONNECT_TIMEOUT'
  | 'RESPONSE_TIMEOUT'
  | 'CONNECTION_RESET'
  | 'TRUNCATED_RESPONSE'
  | 'RESPONSE_TOO_LARGE'
  | 'BAD_RESPONSE'
  | 'HTTP_STATUS'
  | 'SOAP_FAULT'
  | 'TRANSPORT_CLOSED';

export class TransportError extends DfeSyncError {
  constructor(
    override readonly code: TransportErrorCode,
    message: string,
    readonly phase: TransportPhase,
    /** The URL without query string or user info: safe to log. */
    readonly endpoint: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}

/** The TLS handshake failed; `hint` says what the operator can do about it. */
export class TlsError extends TransportError {
  constructor(
    message: string,
    readonly hint: string,
    endpoint: string,
    cause?: unknown,
  ) {
    super('TLS_ERROR', `${message}; ${hint}`, 'before-send', endpoint, cause);
  }
}

/**
 * A complete answer with a non-2xx status. The request reached the server, so the phase
 * is 'after-send'; `status` lets the rules treat 5xx as retryable.
 */
export class HttpStatusError extends TransportError {
  constructor(
    readonly status: number,
    message: string,
    endpoint: string,
    code: 'HTTP_STATUS' | 'SOAP_FAULT' = 'HTTP_STATUS',
  ) {
    super(code, message, 'after-send', endpoint);
  }
}

/** A non-2xx answer whose body is a SOAP Fault: its code and reason are the useful part. */
export class HttpSoapFaultError extends HttpStatusError {
  constructor(
    status: number,
    readonly faultCode: string,
    readonly reason: string,
    endpoint: string,
  ) {
    super(
      status,
      `${endpoint} answered HTTP ${status} with a SOAP Fault (${faultCode || 'no fault code'}): ${reason || 'no reason given'}`,
      endpoint,
      'SOAP_FAULT',
    );
  }
}

/** The URL as it may appear in logs and messages: no query, no credentials. */
export function endpointOf(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Server-certificate verification failures that mean "this CA is not trusted here". */
const UNTRUSTED_SERVER_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** Alerts a server sends when it refuses the client certificate. */
const CLIENT_CERT_REFUSED = [
  'ALERT_BAD_CERTIFICATE',
  'ALERT_UNKNOWN_CA',
  'ALERT_CERTIFICATE_UNKNOWN',
  'ALERT_CERTIFICATE_EXPIRED',
  'ALERT_CERTIFICATE_REVOKED',
  'ALERT_UNSUPPORTED_CERTIFICATE',
  'ALERT_ACCESS_DENIED',
];

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

/** What the transport knew about the exchange when a Node error arrived. */
export interface ExchangeState {
  /** The TCP connection was established. */
  connected: boolean;
  /** The TLS handshake completed (or a kept-alive connection was reused). */
  secured: boolean;
  /** Response headers arrived. */
  responding: boolean;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The TLS failures an operator can act on; the first that matches names the failure.
 * `clientRefused`: the server refused the client certificate. One that asks for it by
 * renegotiating after it read the request headers (IIS can) refuses it after our
 * handshake, and the request was still not served.
 */
const TLS_FAILURES: { matches: (code: string) => boolean; problem: string; hint: string; clientRefused?: true }[] = [
  {
    matches: (code) => UNTRUSTED_SERVER_CA.has(code),
    problem: "the server's certificate is not issued by a trusted CA",
    hint: 'set sefaz.caFile to the ICP-Brasil chain',
  },
  {
    matches: (code) => code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID',
    problem: "the server's certificate is outside its validity period",
    hint: "check this machine's clock",
  },
  {
    matches: (code) => code === 'ERR_TLS_CERT_ALTNAME_INVALID',
    problem: "the server's certificate does not name this host",
    hint: 'check the host in sefaz.urls',
  },
  {
    matches: (code) => code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    problem: 'the server requires a client certificate and none was sent',
    hint: "configure the company's A1 certificate (certificate.pfx)",
    clientRefused: true,
  },
  {
    matches: (code) => code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
    problem: 'the server refused the handshake',
    hint: "it may require a client certificate it accepts (check the company's A1 certificate) or a TLS version or cipher this client does not offer",
    clientRefused: true,
  },
  {
    matches: (code) => CLIENT_CERT_REFUSED.some((alert) => code.endsWith(alert)),
    problem: 'the server rejected the client certificate',
    hint: "check that the company's A1 certificate is issued by ICP-Brasil, valid and not revoked",
    clientRefused: true,
  },
];

/**
 * A TLS failure as a TlsError with the operator's hint, or null when `code` is not one.
 */
function tlsFailure(code: string, err: unknown, endpoint: string): TlsError | null {
  const what = `TLS handshake with ${endpoint} failed (${code})`;
  const known = TLS_FAILURES.find((f) => f.matches(code));
  if (known !== undefined) return new TlsError(`${what}: ${known.problem}`, known.hint, endpoint, err);
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_')) {
    return new TlsError(`${what}: ${errorText(err)}`, 'check sefaz.caFile and the company certificate', endpoint, err);
  }
  return null;
}

/** Whether the server refused the client certificate (so a request it had was not served). */
function refusesClientCertificate(code: string): boolean {
  return TLS_FAILURES.some((f) => f.clientRefused === true && f.matches(code));
}

/** Turns a Node socket/HTTP error into the TransportError the daemon's rules understand. */
export function classifyNetworkError(err: unknown, state: ExchangeState, endpoint: string): TransportError {
  const code = errorCode(err);
  const tls = tlsFailure(code, err, endpoint);
  // Any other TLS failure once the handshake is done (a bad record, say) may hide an
  // answer to a request SEFAZ served: it falls through to 'after-send'.
  if (tls && (!state.secured || (!state.responding && refusesClientCertificate(code)))) return tls;
  if (!state.secured) {
    if (!state.connected || CONNECT_FAILURES.has(code)) {
      return new TransportError(
        'CONNECT_ERROR',
        `could not connect to ${endpoint} (${code || errorText(err)})`,
        'before-send',
        endpoint,
        err,
      );
    }
    return new TlsError(
      `TLS handshake with ${endpoint} failed: the connection closed during the handshake (${code || errorText(err)})`,
      'the server may refuse this client certificate or TLS version',
      endpoint,
      err,
    );
  }
  if (state.responding) {
    return new TransportError(
      'TRUNCATED_RESPONSE',
      `the answer from ${endpoint} was cut off before its end (${code || errorText(err)}); the request may have been processed`,
      'after-send',
      endpoint,
      err,
    );
  }
  return new TransportError(
    'CONNECTION_RESET',
    `the connection to ${endpoint} was lost after the request was sent (${code || errorText(err)}); the request may have been processed`,
    'after-send',
    endpoint,
    err,
  );
}
