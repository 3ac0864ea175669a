/** Plain https.request against the simulator: status, headers and body as sent, for wire-level checks. */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { TlsIdentity } from '../../src/transport/soapTransport.js';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
}

export interface RawRequest {
  url: string;
  ca: string;
  /** Omit to connect without a client certificate. */
  identity?: TlsIdentity;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  agent?: https.Agent;
}

export function raw(r: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      r.url,
      {
        method: r.method ?? (r.body === undefined ? 'GET' : 'POST'),
        ca: r.ca,
        ...(r.identity === undefined ? {} : { key: r.identity.keyPem, cert: r.identity.certPem }),
        headers: { ...(r.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(r.body)) }), ...r.headers },
        ...(r.agent === undefined ? { agent: false } : { agent: r.agent }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), reusedSocket: req.reusedSocket }),
        );
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** A JSON call to the simulator's control API. */
export async function control(base: string, ca: string, identity: TlsIdentity, method: string, path: string, input?: unknown): Promise<{ status: number; json: unknown }> {
  const a = await raw({
    url: base + path,
    ca,
    identity,
    method,
    ...(input === undefined ? {} : { body: JSON.stringify(input), headers: { 'Content-Type': 'application/json' } }),
  });
  return { status: a.status, json: JSON.parse(a.body) as unknown };
}
