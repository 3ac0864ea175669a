import { describe, expect, it, beforeAll } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCertificateFacts } from '../../src/cert/load.js';
import forge from 'node-forge';
import { OID_ICP_CNPJ, otherNames } from '../../src/cert/facts.js';
import { decodePfx } from '../../src/cert/pkcs12.js';
import { makeClientPfx, makeServerCertificate, makeTestCA, type PemPair } from '../../src/cert/testMaterial.js';
import { samplePath } from '../helpers/reference.js';
import { certificateErrorOf } from './helpers.js';

/** The base64 certificate of an XML signature, as DER. */
function signatureCertificate(sample: string): Buffer {
  const xml = readFileSync(samplePath(sample), 'utf8');
  const b64 = /<X509Certificate>([^<]+)<\/X509Certificate>/.exec(xml)?.[1];
  if (b64 === undefined) throw new Error(`${sample} has no X509Certificate`);
  return Buffer.from(b64.replace(/\s+/g, ''), 'base64');
}

describe('readCertificateFacts', () => {
  let ca: PemPair;
  beforeAll(() => {
    ca = makeTestCA();
  });

  it('reads the same facts from PEM text, PEM bytes and DER bytes', () => {
    const cert = decodePfx(makeClientPfx(ca, { cnpj: '11222333000181', name: 'ACME LTDA', password: 'p' }), 'p', 'mem');
    const der = new X509Certificate(cert.certPem).raw;
    const expected = {
      cnpj: '11222333000181',
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };
    expect(readCertificateFacts(cert.certPem)).toEqual(expected);
    expect(readCertificateFacts(Buffer.from(cert.certPem))).toEqual(expected);
    expect(readCertificateFacts(der)).toEqual(expected);
  });

  it('finds no CNPJ in a certificate without one', () => {
    const server = makeServerCertificate(ca);
    const facts = readCertificateFacts(server.certPem);
    expect(facts.cnpj).toBeNull();
    expect(facts.subject).toBe('C=BR, O=dfe-sync test material, CN=127.0.0.1');
  });

  it('rejects what is not a certificate', () => {
    expect(certificateErrorOf(() => readCertificateFacts(Buffer.from('hello'))).code).toBe('CERT_NOT_X509');
    expect(certificateErrorOf(() => readCertificateFacts('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).code)
      .toBe('CERT_NOT_X509');
  });

  // Real ICP-Brasil e-CNPJ A1 certificates from signed samples; the CNPJs were read with openssl asn1parse.
  describe('on real ICP-Brasil certificates', () => {
    it('reads the CNPJ from the otherName when the CN is just the company name (OCTET STRING value)', () => {
      const facts = readCertificateFacts(signatureCertificate('spednfe_req_evento_manifesta_210210_legacy_envelope.xml'));
      expect(facts.subject).toMatch(/CN=FIMATEC TEXTIL LTDA/);
      expect(facts.cnpj).toBe('58716523000119');
    });

    it('reads the CNPJ from a certificate that writes it as a PrintableString and in the CN', () => {
      const der = signatureCertificate('docZip/nfelib_sample_procNFe_v4.00_PR_2017.xml');
      const parsed = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
      expect(otherNames(parsed).get(OID_ICP_CNPJ)).toBe('06117473000150');
      const facts = readCertificateFacts(der);
      expect(facts.subject).toMatch(/CN=UNIMAKE SOLUCOES CORPORATIVAS LTDA EPP:06117473000150$/);
      expect(facts.cnpj).toBe('06117473000150');
      expect(facts.notAfter.toISOString()).toBe('2018-04-28T13:01:34.000Z');
    });
  });
});
