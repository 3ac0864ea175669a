import { decodeDocZip } from './docZip.js';
import { describeDocument } from './document.js';
import { soapBody } from './envelope.js';
import { ResponseParseError, SoapFaultError } from './errors.js';
import { formatNSU, isNSU } from './identifiers.js';
import { child, childText, isNode, path, textOf } from './node.js';
import { parseXml, type XmlNode } from './xml.js';
import type { DistDocument, DistResult } from './types.js';

const CSTAT = /^[0-9]{3}$/;

/**
 * A SEFAZ answer as parsed XML: a SOAP Fault throws SoapFaultError, text that is not XML
 * throws ResponseParseError (`what` names the service in the message).
 */
export function parseAnswer(body: string | Buffer, what: string): XmlNode {
  const text = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
  let doc: XmlNode;
  try {
    doc = parseXml(text);
  } catch (err) {
    throw new ResponseParseError(`the ${what} answer is not well-formed XML (${text.length} characters): ${(err as Error).message}`, err);
  }
  const fault = soapFaultOf(doc);
  if (fault !== null) throw new SoapFaultError(fault.code, fault.reason);
  return doc;
}

/**
 * Reads a NFeDistribuicaoDFe answer: a SOAP 1.2 or 1.1 envelope
 * (nfeDistDFeInteresseResponse/nfeDistDFeInteresseResult/retDistDFeInt) or a bare
 * retDistDFeInt.
 *
 * Throws SoapFaultError for a Fault and ResponseParseError only when the answer cannot
 * be understood at all. A docZip that cannot be decoded never fails the batch: it comes
 * back with decodeError set and its raw bytes kept (DESIGN.md invariant 4).
 */
export function parseDistResponse(body: string | Buffer): DistResult {
  const doc = parseAnswer(body, 'distribution');

  const ret = findRetDistDFeInt(doc);
  if (ret === undefined) {
    throw new ResponseParseError('the distribution answer holds no retDistDFeInt (neither bare nor in a SOAP Body)');
  }
  const cStat = childText(ret, 'cStat');
  if (cStat === undefined || !CSTAT.test(cStat)) {
    throw new ResponseParseError(`retDistDFeInt has no valid cStat (got ${cStat === undefined ? 'none' : `"${cStat}"`})`);
  }
  return {
    tpAmb: childText(ret, 'tpAmb') ?? '',
    verAplic: childText(ret, 'verAplic') ?? '',
    cStat,
    xMotivo: childText(ret, 'xMotivo') ?? '',
    dhResp: childText(ret, 'dhResp') ?? '',
    ultNSU: cursorNSU(ret, 'ultNSU'),
    maxNSU: cursorNSU(ret, 'maxNSU'),
    docs: docZips(ret).map(parseDocZip),
  };
}

function findRetDistDFeInt(doc: XmlNode): XmlNode | undefined {
  const bare = child(doc, 'retDistDFeInt');
  if (bare !== undefined) return bare;
  const body = soapBody(doc);
  // Wrapped as the WSDL says; some stacks answer with the Result element directly in Body.
  return (
    path(body, 'nfeDistDFeInteresseResponse', 'nfeDistDFeInteresseResult', 'retDistDFeInt') ??
    path(body, 'nfeDistDFeInteresseResult', 'retDistDFeInt')
  );
}

/**
 * ultNSU/maxNSU drive the cursor, so a present but malformed one fails the whole answer
 * rather than moving the cursor somewhere invented. Absent (consChNFe answers) is null.
 */
function cursorNSU(ret: XmlNode, name: 'ultNSU' | 'maxNSU'): string | null {
  const value = childText(ret, name);
  if (value === undefined || value === '') return null;
  if (!isNSU(value)) throw new ResponseParseError(`retDistDFeInt ${name} "${value}" is not an NSU`);
  return formatNSU(value);
}

function docZips(ret: XmlNode): unknown[] {
  const zips = child(ret, 'loteDistDFeInt')?.['docZip'];
  return Array.isArray(zips) ? zips : [];
}

function parseDocZip(el: unknown): DistDocument {
  const attrs = isNode(el) ? el : {};
  const schema = textOf(attrs['@_schema']) ?? '';
  const nsuText = textOf(attrs['@_NSU']);
  const problems: string[] = [];
  let NSU: string | null = null;
  if (nsuText !== undefined) {
    if (isNSU(nsuText)) NSU = formatNSU(nsuText);
    else problems.push(`docZip NSU attribute "${nsuText}" is not an NSU`);
  }
  const decoded = decodeDocZip(textOf(el) ?? '');
  if (decoded.bytes === null) {
    problems.push(decoded.error ?? 'docZip could not be decoded');
    return { NSU, schema, kind: 'unknown', chNFe: null, xml: null, gzip: decoded.gzip, decodeError: problems.join('; '), meta: {} };
  }
  const facts = describeDocument(schema, decoded.bytes);
  if (facts.error !== null) problems.push(facts.error);
  return {
    NSU,
    schema,
    kind: facts.kind,
    chNFe: facts.chNFe,
    xml: facts.error === null ? decoded.bytes : null,
    gzip: decoded.gzip,
    decodeError: problems.length > 0 ? problems.join('; ') : null,
    meta: facts.meta,
  };
}

/**
 * The fault code and reason of a SOAP 1.2 (Code/Value, Reason/Text) or 1.1 (faultcode,
 * faultstring) Fault; null when the body is not XML or holds no Fault.
 */
export function parseSoapFault(body: string | Buffer): SoapFault | null {
  let doc: XmlNode;
  try {
    doc = parseXml(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return null;
  }
  return soapFaultOf(doc);
}

export interface SoapFault {
  code: string;
  reason: string;
}

/** parseSoapFault for a document already parsed. */
export function soapFaultOf(doc: XmlNode): SoapFault | null {
  const fault = child(soapBody(doc), 'Fault');
  if (fault === undefined) return null;
  const code12 = child(fault, 'Code');
  if (code12 !== undefined) {
    const value = childText(code12, 'Value') ?? '';
    const subcode = childText(child(code12, 'Subcode'), 'Value');
    return {
      code: subcode ? `${value} / ${subcode}` : value,
      reason: (childText(child(fault, 'Reason'), 'Text') ?? '').trim(),
    };
  }
  return { code: childText(fault, 'faultcode') ?? '', reason: (childText(fault, 'faultstring') ?? '').trim() };
}
