/**
 * XML-DSig for the recipient's events, exactly as PROTOCOL.md §3 and the ICP-Brasil
 * xmldsig-core-schema_v1.01.xsd fix it: enveloped Signature (default namespace
 * xmldsig#) appended as the last child of each `evento`, inclusive C14N, RSA-SHA1, one
 * Reference to the infEvento Id with exactly the enveloped-signature and C14N
 * transforms, SHA-1 digest, and KeyInfo/X509Data/X509Certificate only.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { DfeSyncError } from '../errors.js';
import { NFE_NAMESPACE } from '../sefaz/request.js';

export const XMLDSIG_NAMESPACE = 'http://www.w3.org/2000/09/xmldsig#';
export const C14N_ALGORITHM = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const RSA_SHA1_ALGORITHM = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const SHA1_ALGORITHM = 'http://www.w3.org/2000/09/xmldsig#sha1';
export const ENVELOPED_SIGNATURE_TRANSFORM = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface SigningIdentity {
  /** The private key, PEM (PKCS#8 or PKCS#1), as decodePfx/loadPfx return it. */
  keyPem: string;
  /** The certificate of that key, PEM. */
  certPem: string;
}

export type SigningErrorCode = 'SIGN_BAD_IDENTITY' | 'SIGN_KEY_MISMATCH' | 'SIGN_BAD_DOCUMENT';

/** An event batch we refuse to sign, or an identity we cannot sign with. Never carries key material. */
export class SigningError extends DfeSyncError {
  declare readonly code: SigningErrorCode;
  constructor(code: SigningErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}

/**
 * Signs every `infEvento` of an envEvento (as buildEnvEvento writes it) and returns the
 * document with one Signature per evento. The rest of the text is what xmldom writes
 * back, which canonicalizes to the same bytes; nothing (declaration, indentation) is
 * added. Pure: the same inputs give the same output (RSA PKCS#1 v1.5 is deterministic).
 */
export function signEnvEvento(xml: string, identity: SigningIdentity): string {
  const { key, certBase64 } = checkedIdentity(identity);
  const ids = infEventoIds(xml);
  let signed = xml;
  for (const id of ids) {
    // Ids are letters and digits only (checked in infEventoIds): safe inside an XPath literal.
    const target = `//*[local-name(.)='infEvento' and namespace-uri(.)='${NFE_NAMESPACE}' and @Id='${id}']`;
    const sig = new SignedXml({
      privateKey: key,
      publicCert: identity.certPem,
      signatureAlgorithm: RSA_SHA1_ALGORITHM,
      canonicalizationAlgorithm: C14N_ALGORITHM,
      getKeyInfoContent: () => `<X509Data><X509Certificate>${certBase64}</X509Certificate></X509Data>`,
    });
    sig.addReference({
      xpath: target,
      transforms: [ENVELOPED_SIGNATURE_TRANSFORM, C14N_ALGORITHM],
      digestAlgorithm: SHA1_ALGORITHM,
    });
    try {
      sig.computeSignature(signed, { location: { reference: `${target}/..`, action: 'append' } });
    } catch (err) {
      throw new SigningError('SIGN_BAD_DOCUMENT', `signing event ${id} failed: ${(err as Error).message}`, err);
    }
    signed = sig.getSignedXml();
  }
  return signed;
}

/** "ID" + tpEvento + chNFe (whose CNPJ may hold letters) + nSeqEvento in 2 digits. */
const EVENT_ID = /^ID[0-9]{12}[0-9A-Z]{12}[0-9]{28}$/;

/**
 * The Id of each infEvento, read from the text: the document is ours (buildEnvEvento),
 * so a regular expression over its fixed layout is enough to find what to sign, and
 * anything unexpected stops signing rather than producing a half-signed batch.
 */
function infEventoIds(xml: string): string[] {
  if (typeof xml !== 'string' || !/^<envEvento[\s>]/.test(xml)) {
    throw new SigningError('SIGN_BAD_DOCUMENT', 'only an envEvento (as buildEnvEvento writes it, without an XML declaration) can be signed');
  }
  // xmldom, which xml-crypto parses with, reads these as line breaks (XML 1.1 rules):
  // the text signed would differ from the text given.
  if (/[\r\u0085\u2028]/.test(xml)) {
    throw new SigningError('SIGN_BAD_DOCUMENT', 'the envEvento holds a carriage return, U+0085 or U+2028, which the signer would turn into a line feed');
  }
  if (/<(?:\w+:)?Signature[\s>]/.test(xml)) {
    throw new SigningError('SIGN_BAD_DOCUMENT', 'the envEvento is already signed: sign the unsigned batch once');
  }
  const events = xml.match(/<evento[\s>]/g)?.length ?? 0;
  const ids = [...xml.matchAll(/<infEvento\s+Id="([^"]*)"/g)].map((m) => m[1]!);
  if (events === 0 || ids.length !== events) {
    throw new SigningError('SIGN_BAD_DOCUMENT', `the envEvento has ${events} evento and ${ids.length} infEvento with an Id: each evento needs exactly one`);
  }
  const bad = ids.find((id) => !EVENT_ID.test(id));
  if (bad !== undefined) {
    throw new SigningError('SIGN_BAD_DOCUMENT', `infEvento Id "${bad}" is not "ID" + tpEvento + chNFe + nSeqEvento`);
  }
  if (new Set(ids).size !== ids.length) {
    throw new SigningError('SIGN_BAD_DOCUMENT', 'two infEvento share an Id: a Reference would be ambiguous');
  }
  return ids;
}

/**
 * The key, and the certificate as X509Certificate wants it (base64 DER on one line).
 * A key that is not the certificate's would give signatures SEFAZ rejects for good (297).
 */
function checkedIdentity(identity: SigningIdentity): { key: KeyObject; certBase64: string } {
  let key: KeyObject;
  let cert: X509Certificate;
  try {
    key = createPrivateKey(identity.keyPem);
  } catch (err) {
    throw new SigningError('SIGN_BAD_IDENTITY', 'the signing key is not a readable PEM private key', err);
  }
  try {
    cert = new X509Certificate(identity.certPem);
  } catch (err) {
    throw new SigningError('SIGN_BAD_IDENTITY', 'the signing certificate is not a readable PEM certificate', err);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SigningError('SIGN_BAD_IDENTITY', `the signing key is ${key.asymmetricKeyType ?? 'not asymmetric'}; SEFAZ's RSA-SHA1 needs an RSA key`);
  }
  const spki = (k: KeyObject): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
  if (spki(createPublicKey(key)) !== spki(cert.publicKey)) {
    throw new SigningError('SIGN_KEY_MISMATCH', `the signing key does not belong to the certificate "${cert.subject.replace(/\n/g, ', ')}"`);
  }
  return { key, certBase64: cert.raw.toString('base64') };
}
