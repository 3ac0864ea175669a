import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync, deflateSync, deflateRawSync } from 'node:zlib';
import {
  HttpSoapFaultError,
  HttpStatusError,
  TlsError,
  TransportError,
} from '../../src/transport/errors.js';
import { SoapTransport, type SoapAnswer, type TlsIdentity } from '../../src/transport/soapTransport.js';
import { closedPort, startMtlsServer, startSilentTcpServer, type Handler, type TestServer } from './servers.js';
import { makeClientIdentity, makeServerCertificate, makeTestCA, type PemPair } from './tlsFixtures.js';

const ACTION = 'http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe/nfeDistDFeInteresse';
const CONTENT_TYPE = `application/soap+xml; charset=utf-8; action="${ACTION}"`;
const ENVELOPE =
  '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>' +
  '<nfeDistDFeInteresse xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe"><nfeDadosMsg>' +
  '<distDFeInt xmlns="http://www.portalfiscal.inf.br/nfe" versao="1.01"><tpAmb>2</tpAmb><CNPJ>12345678000195</CNPJ>' +
  '<distNSU><ultNSU>000000000000000</ultNSU></distNSU></distDFeInt></nfeDadosMsg></nfeDistDFeInteresse></soap:Body></soap:Envelope>';
const ANSWER = '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><ok>ação</ok></soap:Body></soap:Envelope>';
const FAULT_12 =
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>' +
  '<soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>' +
  '<soap:Reason><soap:Text xml:lang="en">Server was unable to process request. ---&gt; Object reference not set</soap:Text></soap:Reason>' +
  '</soap:Fault></soap:Body></soap:Envelope>';

let ca: PemPair;
let otherCA: PemPair;
let serverCert: PemPair;
let strangerServerCert: PemPair;
let acme: TlsIdentity;
let beta: TlsIdentity;
let impostor: TlsIdentity;

const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  ca = makeTestCA({ name: 'dfe-sync transport test CA' });
  otherCA = makeTestCA({ name: 'some other CA' });
  serverCert = makeServerCertificate(ca);
  strangerServerCert = makeServerCertificate(otherCA);
  acme = makeClientIdentity(ca, '12345678000195', 'ACME LTDA');
  beta = makeClientIdentity(ca, '11222333000181', 'BETA SA');
  impostor = makeClientIdentity(otherCA, '11444777000161', 'IMPOSTOR LTDA');
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function server(handler: Handler, cert: PemPair = serverCert): Promise<TestServer> {
  const s = await startMtlsServer(cert, ca, handler);
  cleanup.push(s.stop);
  return s;
}

function transport(options: ConstructorParameters<typeof SoapTransport>[0] = {}): SoapTransport {
  const t = new SoapTransport({ ca: ca.certPem, ...options });
  cleanup.push(() => t.close());
  return t;
}

const answer = (status: number, body: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8', ...headers });
    res.end(body);
  };

function post(t: SoapTransport, url: string, identity: TlsIdentity = acme): Promise<SoapAnswer> {
  return t.post({ url, identity, body: ENVELOPE, contentType: CONTENT_TYPE });
}

/** The rejection of `p`, checked to be a TransportError that leaks no key or certificate. */
async function failure(p: Promise<unknown>): Promise<TransportError> {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  const message = (err as Error).message;
  for (const identity of [acme, beta, impostor]) {
    expect(message).not.toContain(identity.keyPem.split('\n')[1]);
    expect(message).not.toContain(identity.certPem.split('\n')[1]);
  }
  expect(message).not.toMatch(/BEGIN|PRIVATE KEY/);
  return err as TransportError;
}

describe('SoapTransport over mutual TLS', () => {
  it('posts a SOAP 1.2 envelope with the client certificate and returns the answer', async () => {
    const s = await server(answer(200, ANSWER));
    const t = transport();
    const result = await post(t, `${s.url}?wsdl-ignored=1`);
    expect(result.status).toBe(200);
    expect(result.body).toBe(ANSWER);
    expect(result.bytes).toBe(Buffer.byteLength(ANSWER));
    expect(result.ms).toBeGreaterThan(0);
    const seen = s.received[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx?wsdl-ignored=1');
    expect(seen.body).toBe(ENVELOPE);
    expect(seen.headers['content-type']).toBe(CONTENT_TYPE);
    expect(seen.headers['soapaction']).toBeUndefined();
    expect(seen.clientCN).toBe('ACME LTDA');
  });

  it('sends SOAPAction, quoted, when one is given (SOAP 1.1)', async () => {
    const s = await server(answer(200, ANSWER));
    const t = transport();
    await t.post({ url: s.url, identity: acme, body: ENVELOPE, contentType: 'text/xml; charset=utf-8', soapAction: ACTION });
    await t.post({ url: s.url, identity: acme, body: ENVELOPE, contentType: 'text/xml; charset=utf-8', soapAction: `"${ACTION}"` });
    expect(s.received.map((r) => r.headers['soapaction'])).toEqual([`"${ACTION}"`, `"${ACTION}"`]);
    expect(s.received[0]!.headers['content-type']).toBe('text/xml; charset=utf-8');
  });

  it('reuses one TLS connection per identity and opens another for a second identity', async () => {
    const s = await server(answer(200, ANSWER));
    const t = transport();
    await post(t, s.url, acme);
    await post(t, s.url, acme);
    await post(t, s.url, acme);
    expect(s.handshakes()).toBe(1);
    await post(t, s.url, beta);
    await post(t, s.url, beta);
    expect(s.handshakes()).toBe(2);
    expect(s.received.map((r) => r.clientCN)).toEqual([
      'ACME LTDA',
      'ACME LTDA',
      'ACME LTDA',
      'BETA SA',
      'BETA SA',
    ]);
    const ports = s.received.map((r) => r.remotePort);
    expect(new Set(ports.slice(0, 3)).size).toBe(1);
    expect(new Set(ports.slice(3)).size).toBe(1);
    expect(ports[0]).not.toBe(ports[3]);
  });

  it('opens a new connection when the server closed the previous one', async () => {
    const s = await server(answer(200, ANSWER, { Connection: 'close' }));
    const t = transport();
    await post(t, s.url);
    const second = await post(t, s.url);
    expect(second.body).toBe(ANSWER);
    expect(s.handshakes()).toBe(2);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['deflate', deflateRawSync],
  ])('decodes a %s Content-Encoding', async (encoding, compress) => {
    const big = ANSWER.repeat(50);
    const packed = compress(Buffer.from(big));
    const s = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Content-Encoding': encoding });
      res.end(packed);
    });
    const result = await post(transport(), s.url);
    expect(result.body).toBe(big);
    expect(result.bytes).toBe(packed.length);
    expect(s.received[0]!.headers['accept-encoding']).toBe('gzip, deflate');
  });

  it('decodes the body in the charset the server declares', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=ISO-8859-1' });
      res.end(Buffer.from('<r>ação</r>', 'latin1'));
    });
    expect((await post(transport(), s.url)).body).toBe('<r>ação</r>');
  });
});

describe('failures before the request could reach the server', () => {
  it('rejects a server certificate from an unknown CA, hinting at sefaz.caFile', async () => {
    const s = await server(answer(200, ANSWER), strangerServerCert);
    const err = await failure(post(transport(), s.url));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.code).toBe('TLS_ERROR');
    expect(err.phase).toBe('before-send');
    expect(err.message).toContain('set sefaz.caFile to the ICP-Brasil chain');
    expect(err.message).toContain(`https://127.0.0.1:${s.port}/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx`);
    expect(s.received).toHaveLength(0);
  });

  it('does not trust the test CA unless it is given (default roots only)', async () => {
    const s = await server(answer(200, ANSWER));
    const t = new SoapTransport();
    cleanup.push(() => t.close());
    const err = await failure(post(t, s.url));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toContain('sefaz.caFile');
  });

  it('fails the handshake when no client certificate is presented', async () => {
    const s = await server(answer(200, ANSWER));
    const err = await failure(post(transport(), s.url, { id: 'none', keyPem: '', certPem: '' }));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.phase).toBe('before-send');
    expect(err.message).toMatch(/client certificate/);
    expect(s.received).toHaveLength(0);
  });

  it('fails the handshake when the server refuses the client certificate', async () => {
    const s = await server(answer(200, ANSWER));
    const err = await failure(post(transport(), s.url, impostor));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.phase).toBe('before-send');
    // A TLS 1.2 server refuses inside the handshake: with an alert, or (Node's) a reset.
    expect(err.message).toMatch(/client certificate/);
    expect(s.received).toHaveLength(0);
  });

  it('reports an unusable client key without echoing it', async () => {
    const s = await server(answer(200, ANSWER));
    const broken = { id: 'broken', keyPem: beta.keyPem, certPem: acme.certPem };
    const err = await failure(post(transport(), s.url, broken));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.phase).toBe('before-send');
    expect(err.message).toContain('client certificate or key is unusable');
  });

  it('reports a refused connection as CONNECT_ERROR', async () => {
    const port = await closedPort();
    const err = await failure(post(transport(), `https://127.0.0.1:${port}/x?secret=1`));
    expect(err.code).toBe('CONNECT_ERROR');
    expect(err.phase).toBe('before-send');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.endpoint).toBe(`https://127.0.0.1:${port}/x`);
    expect(err.message).not.toContain('secret');
  });

  it('gives up on a handshake that never completes (CONNECT_TIMEOUT)', async () => {
    const silent = await startSilentTcpServer();
    cleanup.push(silent.stop);
    const err = await failure(post(transport({ connectTimeoutMs: 50, responseTimeoutMs: 60_000 }), silent.url));
    expect(err.code).toBe('CONNECT_TIMEOUT');
    expect(err.phase).toBe('before-send');
  });

  it('refuses an extra CA that is not PEM', () => {
    const der = Buffer.from(ca.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(() => new SoapTransport({ ca: der })).toThrow(/\(sefaz\.caFile\) holds no PEM certificate/);
  });

  it('refuses a URL that is not https', async () => {
    const err = await failure(post(transport(), 'http://127.0.0.1:1/x'));
    expect(err.code).toBe('CONNECT_ERROR');
    expect(err.phase).toBe('before-send');
  });

  it('refuses calls once closed', async () => {
    const s = await server(answer(200, ANSWER));
    const t = transport();
    await post(t, s.url);
    t.close();
    const err = await failure(post(t, s.url));
    expect(err.code).toBe('TRANSPORT_CLOSED');
    expect(err.phase).toBe('before-send');
    expect(s.received).toHaveLength(1);
  });
});

describe('answers lost after the request was sent', () => {
  it('times out a server that accepts and never answers (RESPONSE_TIMEOUT)', async () => {
    const s = await server(() => {});
    const err = await failure(post(transport({ responseTimeoutMs: 50 }), s.url));
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.phase).toBe('after-send');
    expect(s.received[0]!.body).toBe(ENVELOPE);
  });

  it('times out an answer that starts but never ends', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      res.write('<soap:Envelope>');
    });
    const err = await failure(post(transport({ responseTimeoutMs: 50 }), s.url));
    expect(err.code).toBe('RESPONSE_TIMEOUT');
    expect(err.phase).toBe('after-send');
  });

  it('reports a connection reset after the request as CONNECTION_RESET', async () => {
    const s = await server((req) => req.socket.destroy());
    const err = await failure(post(transport(), s.url));
    expect(err.code).toBe('CONNECTION_RESET');
    expect(err.phase).toBe('after-send');
    expect(s.received[0]!.body).toBe(ENVELOPE);
  });

  it('reports a body shorter than its Content-Length as TRUNCATED_RESPONSE', async () => {
    const s = await server((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml', 'Content-Length': '5000' });
      res.write(ANSWER, () => req.socket.destroy());
    });
    const err = await failure(post(transport(), s.url));
    expect(err.code).toBe('TRUNCATED_RESPONSE');
    expect(err.phase).toBe('after-send');
  });

  it('reports an aborted chunked body as TRUNCATED_RESPONSE', async () => {
    const s = await server((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      res.write(ANSWER, () => req.socket.destroy());
    });
    const err = await failure(post(transport(), s.url));
    expect(err.code).toBe('TRUNCATED_RESPONSE');
    expect(err.phase).toBe('after-send');
  });

  it('reports an aborted gzip body as TRUNCATED_RESPONSE', async () => {
    const packed = gzipSync(Buffer.from(ANSWER.repeat(100)));
    const s = await server((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml', 'Content-Encoding': 'gzip' });
      res.write(packed.subarray(0, 40), () => req.socket.destroy());
    });
    const err = await failure(post(transport(), s.url));
    expect(err.code).toBe('TRUNCATED_RESPONSE');
  });

  it('reports a corrupt gzip body as BAD_RESPONSE', async () => {
    const s = await server(answer(200, 'definitely not gzip', { 'Content-Encoding': 'gzip' }));
    const err = await failure(post(transport(), s.url));
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.phase).toBe('after-send');
  });

  it('refuses a declared Content-Length over the cap at once', async () => {
    const s = await server(answer(200, 'x'.repeat(2048)));
    const err = await failure(post(transport({ maxResponseBytes: 1024 }), s.url));
    expect(err.code).toBe('RESPONSE_TOO_LARGE');
    expect(err.phase).toBe('after-send');
  });

  it('abandons a streamed body as soon as it passes the cap, without waiting for its end', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml' });
      res.write('x'.repeat(600));
      res.write('x'.repeat(600)); // and never ends
    });
    const err = await failure(post(transport({ maxResponseBytes: 1024, responseTimeoutMs: 20_000 }), s.url));
    expect(err.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('caps the decoded size too (a small gzip that inflates past the cap)', async () => {
    const packed = gzipSync(Buffer.alloc(64 * 1024, 0x20));
    expect(packed.length).toBeLessThan(1024);
    const s = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml', 'Content-Encoding': 'gzip' });
      res.end(packed);
    });
    const err = await failure(post(transport({ maxResponseBytes: 4096 }), s.url));
    expect(err.code).toBe('RESPONSE_TOO_LARGE');
  });

  it('turns HTTP 500 with a SOAP Fault into SOAP_FAULT with its reason', async () => {
    const s = await server(answer(500, FAULT_12));
    const err = await failure(post(transport(), s.url));
    expect(err).toBeInstanceOf(HttpSoapFaultError);
    expect(err).toBeInstanceOf(HttpStatusError);
    const fault = err as HttpSoapFaultError;
    expect(fault.code).toBe('SOAP_FAULT');
    expect(fault.phase).toBe('after-send');
    expect(fault.status).toBe(500);
    expect(fault.faultCode).toContain('Receiver');
    expect(fault.reason).toBe('Server was unable to process request. ---> Object reference not set');
    expect(fault.message).toContain('Object reference not set');
  });

  it('turns a plain HTTP 503 into HTTP_STATUS with the status', async () => {
    const s = await server(answer(503, '<html><body><h1>Service Unavailable</h1></body></html>', { 'Content-Type': 'text/html' }));
    const err = await failure(post(transport(), s.url));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).not.toBeInstanceOf(HttpSoapFaultError);
    expect(err.code).toBe('HTTP_STATUS');
    expect(err.phase).toBe('after-send');
    expect((err as HttpStatusError).status).toBe(503);
    expect(err.message).toContain('Service Unavailable');
  });

  it('keeps working on the same identity after a failed call', async () => {
    let calls = 0;
    const s = await server((_req, res) => {
      calls += 1;
      res.writeHead(calls === 1 ? 503 : 200, { 'Content-Type': 'application/soap+xml' });
      res.end(calls === 1 ? 'busy' : ANSWER);
    });
    const t = transport();
    expect((await failure(post(t, s.url))).code).toBe('HTTP_STATUS');
    expect((await post(t, s.url)).body).toBe(ANSWER);
    expect(s.handshakes()).toBe(1);
  });
});
