/**
 * What a certificate says about its holder: the CNPJ, names and validity. One reading
 * serves the .pfx loader (the company's own certificate) and the simulator (the client
 * certificate a TLS peer presented).
 */
import forge from 'node-forge';
import { createHash } from 'node:crypto';
import { CertificateError } from './errors.js';

const { asn1, pki } = forge;

/** ICP-Brasil otherName carrying the company's CNPJ (DOC-ICP-04). */
export const OID_ICP_CNPJ = '2.16.76.1.3.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const CNPJ_SHAPE = /^[0-9A-Z]{12}[0-9]{2}$/;

export interface CertificateFacts {
  cnpj: string | null;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

/** `C=BR, O=ICP-Brasil, CN=ACME LTDA`, in the certificate's own order. */
function formatName(name: forge.pki.Certificate['subject']): string {
  return name.attributes
    .map((a) => `${a.shortName ?? a.name ?? a.type}=${String(a.value)}`)
    .join(', ');
}

function commonName(cert: forge.pki.Certificate): string | null {
  const cn = cert.subject.getField('CN') as { value?: unknown } | null;
  return typeof cn?.value === 'string' ? cn.value : null;
}

/**
 * The values of the subjectAltName otherNames, by OID. forge leaves otherName
 * undecoded, so the extension is walked here: each entry is
 * `[0] { OID, [0] EXPLICIT <string> }` (ICP-Brasil writes an OCTET STRING; other
 * string types are accepted too).
 */
export function otherNames(cert: forge.pki.Certificate): Map<string, string> {
  const found = new Map<string, string>();
  const ext = cert.extensions.find((e: { id?: string }) => e.id === OID_SUBJECT_ALT_NAME) as
    | { value?: unknown }
    | undefined;
  if (typeof ext?.value !== 'string') return found;
  let names: forge.asn1.Asn1;
  try {
    names = asn1.fromDer(ext.value);
  } catch {
    return found;
  }
  if (!Array.isArray(names.value)) return found;
  for (const entry of names.value) {
    if (entry.tagClass !== asn1.Class.CONTEXT_SPECIFIC || entry.type !== 0 || !Array.isArray(entry.value)) continue;
    const [oid, wrapped] = entry.value;
    if (oid?.type !== asn1.Type.OID || typeof oid.value !== 'string') continue;
    const inner = Array.isArray(wrapped?.value) ? wrapped.value[0] : undefined;
    if (typeof inner?.value !== 'string') continue;
    found.set(asn1.derToOid(oid.value), inner.value);
  }
  return found;
}

/**
 * The CNPJ from the ICP-Brasil otherName, else from a `NAME:CNPJ` common name (the
 * older form, still in SEFAZ's test certificate); null when the certificate has neither.
 */
export function cnpjOf(cert: forge.pki.Certificate): string | null {
  const fromOid = otherNames(cert).get(OID_ICP_CNPJ)?.trim().toUpperCase();
  if (fromOid !== undefined && CNPJ_SHAPE.test(fromOid)) return fromOid;
  const suffix = /:\s*([0-9A-Za-z]{12}[0-9]{2})\s*$/.exec(commonName(cert) ?? '')?.[1]?.toUpperCase();
  return suffix !== undefined && CNPJ_SHAPE.test(suffix) ? suffix : null;
}

export function factsOf(cert: forge.pki.Certificate): CertificateFacts {
  return {
    cnpj: cnpjOf(cert),
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}

/** DER bytes of a parsed certificate (forge re-encodes from the cached, signed TBS). */
export function certificateDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(asn1.toDer(pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

/** `AB:CD:…`, the form of Node's `X509Certificate.fingerprint256` and `getPeerCertificate()`. */
export function fingerprint256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Facts of a bare X.509 certificate: PEM text, or DER bytes as
 * `socket.getPeerCertificate(true).raw` gives them.
 */
export function readCertificateFacts(certPemOrDer: string | Buffer): CertificateFacts {
  const bytes = typeof certPemOrDer === 'string' ? Buffer.from(certPemOrDer, 'latin1') : certPemOrDer;
  const isPem = bytes.includes('-----BEGIN ');
  try {
    const cert = isPem
      ? pki.certificateFromPem(bytes.toString('latin1'))
      : pki.certificateFromAsn1(asn1.fromDer(bytes.toString('binary')));
    return factsOf(cert);
  } catch (cause) {
    throw new CertificateError(
      'CERT_NOT_X509',
      `not an RSA X.509 certificate (${cause instanceof Error ? cause.message : String(cause)}): pass the PEM text or the DER bytes of the certificate`,
      cause,
    );
  }
}
