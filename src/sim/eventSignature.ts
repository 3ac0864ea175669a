import { X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { child, isNode } from '../sefaz/node.js';
import { parseXml } from '../sefaz/xml.js';
import { C14N, ENVELOPED, RSA_SHA1, SHA1 } from './eventSoap.js';

/**
 * The simulator's own XML-DSig verifier for the events of an envEvento, as SEFAZ checks
 * them (PROTOCOL.md §3): an enveloped Signature per evento, inclusive C14N, RSA-SHA1,
 * one Reference to the infEvento Id with the enveloped-signature then C14N transforms,
 * SHA-1 digest, the key taken from the X509Certificate it carries. It uses xml-crypto's
 * verifying side only; nothing from the client's signer (src/cert/sign.ts).
 *
 * Each evento is verified inside its envEvento taken out of the SOAP message
 * (extractEnvEvento), with the other evento left out: inclusive C14N takes in the
 * namespaces in scope, which are the envEvento's and the evento's own, exactly as the
 * signer had them.
 */

export type SignatureProblem =
  /** No readable X509Certificate: nothing to verify with (SEFAZ 290). */
  | 'certificate'
  /** Not the profile: algorithms, transforms, or a Reference to something else than this infEvento (298). */
  | 'profile'
  /** The infEvento is not what was signed (297). */
  | 'digest'
  /** SignatureValue does not verify with the certificate's key (297). */
  | 'signature';

export interface SignatureVerdict {
  /** The infEvento Id (null when it has none). */
  id: string | null;
  /** DER of the certificate in KeyInfo, when readable. */
  certificate: Buffer | null;
  /** null: the signature is valid for this certificate. */
  problem: SignatureProblem | null;
  detail: string;
}

/** One verdict per evento of `envEvento` (the element's text, as extractEnvEvento gives it), in order. */
export function verifyEnvEventoSignatures(envEvento: string): SignatureVerdict[] {
  const rootTag = /^<envEvento\b[^>]*>/.exec(envEvento)?.[0];
  const segments = [...envEvento.matchAll(/<evento[\s>][\s\S]*?<\/evento>/g)].map((m) => m[0]);
  if (rootTag === undefined) return [];
  return segments.map((segment) => verifyEvento(rootTag, segment));
}

function verifyEvento(rootTag: string, segment: string): SignatureVerdict {
  let evento: unknown;
  try {
    evento = child(parseXml(segment), 'evento');
  } catch (err) {
    return { id: null, certificate: null, problem: 'profile', detail: `evento is not well-formed: ${(err as Error).message}` };
  }
  const inf = child(evento, 'infEvento');
  const id = typeof inf?.['@_Id'] === 'string' ? inf['@_Id'] : null;
  const sig = child(evento, 'Signature');
  const signatureText = /<Signature[\s>][\s\S]*<\/Signature>/.exec(segment)?.[0];
  const verdict = (problem: SignatureProblem | null, detail: string, certificate: Buffer | null = null): SignatureVerdict => ({
    id,
    certificate,
    problem,
    detail,
  });
  if (sig === undefined || signatureText === undefined) return verdict('certificate', 'the evento has no Signature');

  const certText = child(child(sig, 'KeyInfo'), 'X509Data')?.['X509Certificate'];
  let cert: X509Certificate;
  try {
    if (typeof certText !== 'string') throw new Error('no X509Certificate');
    cert = new X509Certificate(Buffer.from(certText.replace(/\s+/g, ''), 'base64'));
  } catch (err) {
    return verdict('certificate', `KeyInfo holds no readable X509Certificate (${(err as Error).message})`);
  }
  const der = cert.raw;

  const profile = profileProblem(sig, id, signatureText);
  if (profile !== null) return verdict('profile', profile, der);

  const check = new SignedXml({ publicCert: cert.toString() });
  try {
    check.loadSignature(signatureText);
    return check.checkSignature(`${rootTag}${segment}</envEvento>`)
      ? verdict(null, 'valid', der)
      : verdict('digest', `the DigestValue is not the SHA-1 of the canonical infEvento ${id ?? ''}: it was changed after signing`, der);
  } catch (err) {
    return verdict('signature', `the SignatureValue does not verify with the certificate's key: ${(err as Error).message}`, der);
  }
}

/** What departs from the one signature profile SEFAZ accepts; null when nothing does. */
function profileProblem(sig: Record<string, unknown>, id: string | null, signatureText: string): string | null {
  if (!/^<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/.test(signatureText)) {
    return 'Signature must declare the xmldsig namespace as its default namespace';
  }
  const info = child(sig, 'SignedInfo');
  const ref = info?.['Reference'];
  if (info === undefined || !isNode(ref)) return 'SignedInfo must hold exactly one Reference';
  if (child(info, 'CanonicalizationMethod')?.['@_Algorithm'] !== C14N) return `CanonicalizationMethod must be ${C14N}`;
  if (child(info, 'SignatureMethod')?.['@_Algorithm'] !== RSA_SHA1) return `SignatureMethod must be ${RSA_SHA1}`;
  if (id === null || ref['@_URI'] !== `#${id}`) return `the Reference must point to #${id ?? '(the infEvento Id)'}, not ${String(ref['@_URI'])}`;
  const transforms = child(ref, 'Transforms')?.['Transform'];
  const algorithms = (Array.isArray(transforms) ? transforms : [transforms]).map((t) => (isNode(t) ? t['@_Algorithm'] : undefined));
  if (algorithms.join(' ') !== `${ENVELOPED} ${C14N}`) return `the transforms must be ${ENVELOPED} then ${C14N}`;
  if (child(ref, 'DigestMethod')?.['@_Algorithm'] !== SHA1) return `DigestMethod must be ${SHA1}`;
  return null;
}
