import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { DfeSyncError } from '../errors.js';
import { parseSoapFault } from '../sefaz/response.js';
import {
  HttpSoapFaultError,
  HttpStatusError,
  TlsError,
  TransportError,
  classifyNetworkError,
  endpointOf,
  type ExchangeState,
} from './errors.js';

/** The company's certificate as TLS wants it (see src/cert). */
export interface TlsIdentity {
  /** Cache key of the connection pool, e.g. the pfx path + its mtime: a renewed file gets new connections. */
  id: string;
  keyPem: string;
  certPem: string;
  /** Intermediate certificates sent after certPem, leaf's issuer first. */
  chainPem?: string[];
}

export interface SoapTransportOptions {
  /** Extra trusted CA certificates (PEM), added to Node's default roots: never replaces verification. */
  ca?: string | Buffer;
  /** From the start of the connection until its TLS handshake completes. */
  connectTimeoutMs?: number;
  /** From the request being sent until the last byte of the answer. */
  responseTimeoutMs?: number;
  /** Cap on the answer's body, compressed or not; exceeded → RESPONSE_TOO_LARGE at once. */
  maxResponseBytes?: number;
  maxSocketsPerIdentity?: number;
  /** Initial delay of TCP keep-alive probes on pooled connections. */
  keepAliveMsecs?: number;
  /**
   * An unused pooled connection is closed after this long. Kept shorter than the idle
   * limit of usual servers so that we, not they, close it: reusing a connection the
   * server is closing costs a CONNECTION_RESET after the request was sent.
   */
  idleSocketMs?: number;
}

export interface SoapPost {
  url: string;
  identity: TlsIdentity;
  /** The complete envelope. */
  body: string;
  /** For SOAP 1.2 this carries the action: `application/soap+xml; charset=utf-8; action="…"`. */
  contentType: string;
  /** SOAP 1.1 only: sent as the SOAPAction header. */
  soapAction?: string;
}

export interface SoapAnswer {
  status: number;
  /** The body decoded (Content-Encoding and charset). */
  body: string;
  /** Wall time from the call to the last byte. */
  ms: number;
  /** Body bytes as they came over the wire, before Content-Encoding decoding. */
  bytes: number;
}

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 30_000,
  maxResponseBytes: 8 * 1024 * 1024,
  maxSocketsPerIdentity: 2,
  keepAliveMsecs: 1_000,
  idleSocketMs: 15_000,
};

/** An https.Agent that reports each connection it opens, so that an idle pool can be dropped. */
class CountingAgent extends https.Agent {
  constructor(
    options: https.AgentOptions,
    private readonly onConnection: (socket: Duplex) => void,
  ) {
    super(options);
  }
  override createConnection(...args: Parameters<https.Agent['createConnection']>): ReturnType<https.Agent['createConnection']> {
    const socket = super.createConnection(...args);
    if (socket) this.onConnection(socket);
    return socket;
  }
}

/**
 * Under TLS 1.3 our side sees the handshake complete (and sends the request) before the
 * server has judged our certificate, so a refused certificate then looks like a reset
 * after sending: a lost answer, to the daemon. Under TLS 1.2 the server accepts the
 * certificate before its Finished message, which makes "handshake done" an exact
 * boundary between 'before-send' and 'after-send'. SEFAZ's servers speak TLS 1.2.
 */
const MAX_TLS_VERSION = 'TLSv1.2';

interface Pool {
  agent: https.Agent;
  sockets: number;
}

/**
 * SOAP over HTTPS with mutual TLS: one keep-alive agent per company certificate, strict
 * server verification, timeouts and a size cap, and errors that tell the daemon whether
 * the request could have reached SEFAZ. It knows nothing about the message it carries.
 */
export class SoapTransport {
  private readonly options: typeof DEFAULTS;
  /** Default roots + the extra CA; null when only the default roots are trusted. */
  private readonly trusted: string[] | null;
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(options: SoapTransportOptions = {}) {
    const { ca, ...rest } = options;
    this.options = { ...DEFAULTS, ...definedOnly(rest) };
    this.trusted = ca === undefined ? null : [...tls.rootCertificates, String(ca)];
    if (ca !== undefined && !String(ca).includes('-----BEGIN CERTIFICATE-----')) {
      throw new DfeSyncError(
        'TLS_CA_INVALID',
        'the extra trusted CA (sefaz.caFile) holds no PEM certificate: convert a DER file with `openssl x509 -inform der` (a .p7b with `openssl pkcs7 -print_certs`)',
      );
    }
  }

  async post(req: SoapPost): Promise<SoapAnswer> {
    const url = parseHttpsUrl(req.url);
    const endpoint = endpointOf(url);
    if (this.closed) {
      throw new TransportError('TRANSPORT_CLOSED', `not sent to ${endpoint}: the transport is closed`, 'before-send', endpoint);
    }
    const agent = this.agentFor(req.identity, endpoint);
    const headers: Record<string, string | number> = {
      'Content-Type': req.contentType,
      'Content-Length': Buffer.byteLength(req.body),
      'Accept-Encoding': 'gzip, deflate',
    };
    if (req.soapAction !== undefined) headers['SOAPAction'] = quoted(req.soapAction);
    return this.exchange(url, endpoint, agent, headers, req.body);
  }

  /** Closes every connection and refuses further calls; calls in flight fail. */
  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) pool.agent.destroy();
    this.pools.clear();
  }

  /**
   * The identity's agent, created on first use. An agent whose last connection closed is
   * dropped: each holds a TLS context with its own copy of the trusted roots (about 1 MB
   * with an extra CA), too much to keep for thousands of idle companies.
   */
  private agentFor(identity: TlsIdentity, endpoint: string): https.Agent {
    const existing = this.pools.get(identity.id);
    if (existing) return existing.agent;
    let secureContext: tls.SecureContext;
    try {
      secureContext = tls.createSecureContext({
        key: identity.keyPem,
        cert: [identity.certPem, ...(identity.chainPem ?? [])].join('\n'),
        maxVersion: MAX_TLS_VERSION,
        ...(this.trusted ? { ca: this.trusted } : {}),
      });
    } catch (err) {
      throw new TlsError(
        `not sent to ${endpoint}: the client certificate or key is unusable (${(err as Error).message})`,
        "check the company's .pfx file",
        endpoint,
        err,
      );
    }
    const agent = new CountingAgent(
      {
        keepAlive: true,
        keepAliveMsecs: this.options.keepAliveMsecs,
        maxSockets: this.options.maxSocketsPerIdentity,
        maxFreeSockets: this.options.maxSocketsPerIdentity,
        timeout: this.options.idleSocketMs,
        secureContext,
        rejectUnauthorized: true,
      },
      (socket) => {
        pool.sockets += 1;
        socket.once('close', () => {
          pool.sockets -= 1;
          if (pool.sockets === 0 && this.pools.get(identity.id) === pool) {
            this.pools.delete(identity.id);
            agent.destroy();
          }
        });
      },
    );
    const pool: Pool = { agent, sockets: 0 };
    this.pools.set(identity.id, pool);
    return pool.agent;
  }

  private exchange(
    url: URL,
    endpoint: string,
    agent: https.Agent,
    headers: Record<string, string | number>,
    body: string,
  ): Promise<SoapAnswer> {
    const { connectTimeoutMs, responseTimeoutMs, maxResponseBytes } = this.options;
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const state: ExchangeState = { connected: false, secured: false, responding: false };
      let timer: NodeJS.Timeout | undefined;
      let settled = false;

      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        return true;
      };
      const fail = (err: TransportError): void => {
        if (!settle()) return;
        request.destroy();
        reject(err);
      };
      const requestSent = (): void => {
        state.connected = true;
        state.secured = true;
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            fail(
              new TransportError(
                'RESPONSE_TIMEOUT',
                `no complete answer from ${endpoint} within ${responseTimeoutMs} ms after the request was sent; the request may have been processed`,
                'after-send',
                endpoint,
              ),
            ),
          responseTimeoutMs,
        );
      };
      const request = https.request(url, { method: 'POST', agent, headers }, (res) => {
        state.responding = true;
        readBody(res, maxResponseBytes, endpoint, {
          fail,
          done: (text, bytes) => {
            // The answer is complete, so its connection stays in the pool whatever the status.
            if (!settle()) return;
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) reject(statusError(status, res.statusMessage ?? '', text, endpoint));
            else resolve({ status, body: text, ms: Math.round((performance.now() - started) * 100) / 100, bytes });
          },
        });
      });
      request.on('socket', (socket: Socket) => {
        // The agent may hand over a socket that connected, or even finished its
        // handshake, before this listener existed (a fresh one made for a queued request):
        // its events are gone, so ask the socket. Misjudging this as 'before-send' would
        // retry at once a request SEFAZ may have served.
        // Once our Finished message went out, request bytes may follow: count it as sent.
        const finished = (socket as TLSSocket).getFinished?.();
        if (request.reusedSocket || finished !== undefined) {
          requestSent();
          return;
        }
        if (!socket.connecting) state.connected = true;
        timer = setTimeout(
          () =>
            fail(
              new TransportError(
                'CONNECT_TIMEOUT',
                `no TLS connection to ${endpoint} within ${connectTimeoutMs} ms; nothing was sent`,
                'before-send',
                endpoint,
              ),
            ),
          connectTimeoutMs,
        );
        socket.once('connect', () => {
          state.connected = true;
        });
        socket.once('secureConnect', requestSent);
      });
      request.on('error', (err) => fail(classifyNetworkError(err, state, endpoint)));
      request.end(body);
    });
  }
}

interface BodySink {
  fail(err: TransportError): void;
  done(text: string, wireBytes: number): void;
}

/** Reads, decodes and caps a response body; every way it can go wrong ends in sink.fail. */
function readBody(res: IncomingMessage, max: number, endpoint: string, sink: BodySink): void {
  const tooLarge = (): void =>
    sink.fail(
      new TransportError(
        'RESPONSE_TOO_LARGE',
        `the answer from ${endpoint} exceeds ${max} bytes; it was abandoned and the request may have been processed`,
        'after-send',
        endpoint,
      ),
    );
  const truncated = (cause?: unknown): void =>
    sink.fail(
      new TransportError(
        'TRUNCATED_RESPONSE',
        `the answer from ${endpoint} was cut off before its end; the request may have been processed`,
        'after-send',
        endpoint,
        cause,
      ),
    );
  const undecodable = (why: string, cause?: unknown): void =>
    sink.fail(
      new TransportError(
        'BAD_RESPONSE',
        `the answer from ${endpoint} could not be decoded (${why}); the request may have been processed`,
        'after-send',
        endpoint,
        cause,
      ),
    );

  if (Number(res.headers['content-length']) > max) {
    tooLarge();
    return;
  }
  const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoded = decoderFor(encoding, res);
  if (decoded === null) {
    undecodable(`Content-Encoding "${encoding}" was not asked for`);
    return;
  }

  let wireBytes = 0;
  let decodedBytes = 0;
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => {
    wireBytes += chunk.length;
    if (wireBytes > max) tooLarge();
  });
  res.on('error', truncated);
  res.on('close', () => {
    if (!res.complete) truncated();
  });
  if (decoded !== res) {
    decoded.on('error', (err) => (res.complete ? undecodable(`${encoding}: ${err.message}`, err) : truncated(err)));
  }
  decoded.on('data', (chunk: Buffer) => {
    decodedBytes += chunk.length;
    if (decodedBytes > max) tooLarge();
    else chunks.push(chunk);
  });
  decoded.on('end', () => {
    if (res.complete) sink.done(decodeText(Buffer.concat(chunks), res.headers['content-type']), wireBytes);
    else truncated();
  });
}

/** The body stream with its Content-Encoding undone; null for an encoding we did not offer. */
function decoderFor(encoding: string, res: IncomingMessage): Readable | null {
  switch (encoding) {
    case '':
    case 'identity':
      return res;
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib.createGunzip());
    case 'deflate':
      return inflateAnyDeflate(res);
    default:
      return null;
  }
}

/** "deflate" should be zlib-wrapped, but some servers send raw deflate: the first byte tells. */
function inflateAnyDeflate(res: IncomingMessage): Readable {
  const out = new PassThrough();
  let inflater: zlib.Inflate | zlib.InflateRaw | undefined;
  res.on('data', (chunk: Buffer) => {
    if (inflater === undefined) {
      // A zlib header's low nibble is 8 (the deflate method); raw deflate has no header.
      inflater = ((chunk[0] ?? 0) & 0x0f) === 8 ? zlib.createInflate() : zlib.createInflateRaw();
      inflater.on('error', (err) => out.destroy(err));
      inflater.pipe(out);
    }
    inflater.write(chunk);
  });
  res.on('end', () => (inflater === undefined ? out.end() : inflater.end()));
  return out;
}

/** The body as text in the charset the server declared (SEFAZ: UTF-8). */
function decodeText(bytes: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function statusError(status: number, statusMessage: string, body: string, endpoint: string): HttpStatusError {
  const fault = parseSoapFault(body);
  if (fault !== null) return new HttpSoapFaultError(status, fault.code, fault.reason, endpoint);
  const excerpt = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
  return new HttpStatusError(
    status,
    `${endpoint} answered HTTP ${status}${statusMessage ? ` ${statusMessage}` : ''}${excerpt ? `: ${excerpt}` : ''}`,
    endpoint,
  );
}

function parseHttpsUrl(text: string): URL {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (url === null || url.protocol !== 'https:') {
    const shown = url === null ? 'the configured URL' : endpointOf(url);
    throw new TransportError('CONNECT_ERROR', `${shown} is not an https:// URL; nothing was sent`, 'before-send', shown);
  }
  return url;
}

function quoted(action: string): string {
  return action.startsWith('"') ? action : `"${action}"`;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
