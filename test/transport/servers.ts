/** Servers on 127.0.0.1:0 for the transport tests, each stopped by the test that started it. */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { PemPair } from './tlsFixtures.js';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** CN of the client certificate the request came with. */
  clientCN: string;
  /** Client port: equal ports mean one TLS connection. */
  remotePort: number;
}

export interface TestServer {
  url: string;
  port: number;
  /** TLS handshakes completed ('secureConnection' events). */
  handshakes: () => number;
  received: Received[];
  stop: () => Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** An HTTPS server that requires a client certificate issued by `clientCA`. */
export async function startMtlsServer(server: PemPair, clientCA: PemPair, handler: Handler): Promise<TestServer> {
  let handshakes = 0;
  const received: Received[] = [];
  const srv = https.createServer(
    { key: server.keyPem, cert: server.certPem, ca: clientCA.certPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const socket = req.socket as TLSSocket;
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
          clientCN: String(socket.getPeerCertificate().subject?.CN ?? ''),
          remotePort: socket.remotePort ?? 0,
        });
        handler(req, res, body);
      });
    },
  );
  srv.on('secureConnection', () => {
    handshakes += 1;
  });
  // Rejected handshakes are part of some tests; they must not become unhandled errors.
  srv.on('tlsClientError', () => {});
  const port = await listen(srv);
  return {
    url: `https://127.0.0.1:${port}/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx`,
    port,
    handshakes: () => handshakes,
    received,
    stop: () =>
      new Promise((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

/** A TCP server that accepts connections and never says a word (no TLS handshake). */
export async function startSilentTcpServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(srv);
  return {
    url: `https://127.0.0.1:${port}/x`,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  const port = await listen(srv);
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function listen(srv: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}
