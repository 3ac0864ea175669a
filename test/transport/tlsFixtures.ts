/** Test certificates from src/cert's generator, shaped as the transport takes them. */
import { decodePfx } from '../../src/cert/pkcs12.js';
import { makeClientPfx, makeServerCertificate, makeTestCA, type PemPair } from '../../src/cert/testMaterial.js';
import type { TlsIdentity } from '../../src/transport/soapTransport.js';

export type { PemPair };
export { makeServerCertificate, makeTestCA };

/** A company's A1 certificate, decoded from the .pfx as the daemon would. */
export function makeClientIdentity(ca: PemPair, cnpj: string, name: string): TlsIdentity {
  const password = 'test';
  const { keyPem, certPem, chainPem } = decodePfx(makeClientPfx(ca, { cnpj, name, password }), password, `${cnpj}.pfx`);
  return { id: `${cnpj}.pfx`, keyPem, certPem, chainPem };
}
