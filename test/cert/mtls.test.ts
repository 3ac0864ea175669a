import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { readCertificateFacts, type LoadedCertificate } from '../../src/cert/load.js';
import { decodePfx } from '../../src/cert/pkcs12.js';
import { makeClientPfx, makeServerCertificate, makeTestCA, type PemPair } from '../../src/cert/testMaterial.js';

const ALNUM = '12ABC34501DE35';

/** Connects with a client certificate; resolves with what the server wrote back. */
async function exchange(port: number, client: LoadedCertificate, ca: string, servername?: string): Promise<string> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    ca,
    key: client.keyPem,
    cert: client.certPem,
    ...(servername === undefined ? {} : { servername }),
  });
  let text = '';
  socket.setEncoding('utf8').on('data', (d: string) => (text += d));
  await once(socket, 'end');
  socket.destroy();
  return text;
}

describe('the generated material works for mutual TLS', () => {
  let server: tls.Server;
  let port: number;
  let ca: PemPair;
  let accepted = 0;

  beforeAll(async () => {
    ca = makeTestCA();
    const pem = makeServerCertificate(ca);
    server = tls.createServer({ key: pem.keyPem, cert: pem.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true });
    // The server learns the client's CNPJ from the certificate it presented, as the simulator does.
    server.on('secureConnection', (socket) => {
      accepted++;
      const facts = readCertificateFacts(socket.getPeerCertificate(true).raw);
      socket.end(`hello ${facts.cnpj}`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  it.each([false, true])('client certificate from a .pfx (legacy %s) authenticates its CNPJ', async (legacy) => {
    const client = decodePfx(makeClientPfx(ca, { cnpj: ALNUM, password: 'pw', legacy }), 'pw', 'mem');
    expect(await exchange(port, client, ca.certPem)).toBe(`hello ${ALNUM}`);
  });

  it('the server certificate names localhost too', async () => {
    const client = decodePfx(makeClientPfx(ca, { cnpj: '11222333000181', password: 'pw' }), 'pw', 'mem');
    expect(await exchange(port, client, ca.certPem, 'localhost')).toBe('hello 11222333000181');
  });

  it('a client certificate from another CA is refused', async () => {
    const other = makeTestCA({ name: 'AC de outra empresa' });
    const stranger = decodePfx(makeClientPfx(other, { cnpj: '11222333000181', password: 'pw' }), 'pw', 'mem');
    const before = accepted;
    const outcome = await exchange(port, stranger, ca.certPem).catch((e: unknown) => String(e));
    expect(outcome).not.toContain('hello');
    expect(accepted).toBe(before);
  });
});
