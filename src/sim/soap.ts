import { DIST_WSDL_NAMESPACE, SOAP_NAMESPACES, soapBody, type SoapVersion } from '../sefaz/envelope.js';
import { UF_CODES } from '../sefaz/identifiers.js';
import { child, isNode, path } from '../sefaz/node.js';
import { escapeXml, parseXml, type XmlNode } from '../sefaz/xml.js';
import type { RetDist, SimOp } from './service.js';

/**
 * The wire of NFeDistribuicaoDFe on the server side: reading a request in SOAP 1.2 or
 * 1.1 and writing the answer exactly as the AN does (PROTOCOL.md §1, the real 2024/2026
 * captures), in the version it was asked in.
 */

export type ParsedDistRequest =
  /** Not a SOAP request for this service: answered with a SOAP Fault, as an .asmx does. */
  | { kind: 'not-soap'; soap: SoapVersion; reason: string }
  /** A SOAP request whose distDFeInt breaks distDFeInt_v1.01.xsd: cStat 215. */
  | { kind: 'schema'; soap: SoapVersion; reason: string; cnpj?: string; op?: SimOp }
  | {
      kind: 'query';
      soap: SoapVersion;
      tpAmb: string;
      interested: { CNPJ: string } | { CPF: string };
      op: SimOp;
      value: string;
    };

const UF_CODE_SET: ReadonlySet<string> = new Set(Object.values(UF_CODES));
const CNPJ_SHAPE = /^[0-9A-Z]{12}[0-9]{2}$/;
const CPF_SHAPE = /^[0-9]{11}$/;
const NSU_SHAPE = /^[0-9]{15}$/;
/** Keys carry the issuer's CNPJ, which may be alphanumeric since July 2026. */
const KEY_SHAPE = /^[0-9]{6}[0-9A-Z]{12}[0-9]{26}$/;
const DIST_CHILDREN = new Set(['tpAmb', 'cUFAutor', 'CNPJ', 'CPF', 'distNSU', 'consNSU', 'consChNFe']);

/**
 * The SOAP version of a request: its Envelope's namespace, else its Content-Type
 * (`application/soap+xml` is 1.2, `text/xml` 1.1), else 1.2.
 */
export function soapVersionOf(body: string, contentType: string | undefined): SoapVersion {
  const tag = /<(?:([A-Za-z_][\w.-]*):)?Envelope\b([^>]*)>/.exec(body);
  if (tag !== null) {
    const attr = tag[1] === undefined ? 'xmlns' : `xmlns:${tag[1]}`;
    const ns = new RegExp(`\\s${attr.replace(/[.-]/g, '\\$&')}\\s*=\\s*["']([^"']*)["']`).exec(tag[2] ?? '')?.[1];
    if (ns === SOAP_NAMESPACES['1.1']) return '1.1';
    if (ns === SOAP_NAMESPACES['1.2']) return '1.2';
  }
  return /^\s*text\/xml/i.test(contentType ?? '') ? '1.1' : '1.2';
}

export function parseDistRequest(body: string, contentType: string | undefined): ParsedDistRequest {
  const soap = soapVersionOf(body, contentType);
  let doc: XmlNode;
  try {
    doc = parseXml(body.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { kind: 'not-soap', soap, reason: `Server was unable to read request. ---> ${(err as Error).message}` };
  }
  const soapBodyNode = soapBody(doc);
  if (soapBodyNode === undefined) {
    return { kind: 'not-soap', soap, reason: 'Server was unable to read request: no SOAP Envelope/Body.' };
  }
  // Wrapped, as the WSDL says; some clients send nfeDadosMsg bare in the Body.
  const dadosMsg = path(soapBodyNode, 'nfeDistDFeInteresse', 'nfeDadosMsg') ?? child(soapBodyNode, 'nfeDadosMsg');
  if (dadosMsg === undefined) {
    return {
      kind: 'not-soap',
      soap,
      reason: 'Server did not recognize the value of HTTP Header SOAPAction or the body element: expected nfeDistDFeInteresse/nfeDadosMsg.',
    };
  }
  return readDistDFeInt(soap, dadosMsg['distDFeInt']);
}

function readDistDFeInt(soap: SoapVersion, dist: unknown): ParsedDistRequest {
  const bad = (reason: string, cnpj?: string, op?: SimOp): ParsedDistRequest => ({
    kind: 'schema',
    soap,
    reason,
    ...(cnpj === undefined ? {} : { cnpj }),
    ...(op === undefined ? {} : { op }),
  });
  if (!isNode(dist)) return bad('nfeDadosMsg holds no distDFeInt element');
  const text = (name: string): string | undefined => (typeof dist[name] === 'string' ? dist[name] : undefined);
  const cnpj = text('CNPJ');
  const cpf = text('CPF');
  const queries = (['distNSU', 'consNSU', 'consChNFe'] as const).filter((q) => dist[q] !== undefined);
  const op = queries.length === 1 ? queries[0] : undefined;
  const extra = Object.keys(dist).filter((k) => !k.startsWith('@_') && k !== '#text' && !DIST_CHILDREN.has(k));
  if (extra.length > 0) return bad(`unexpected element ${extra[0]}`, cnpj, op);
  if (dist['@_versao'] !== '1.01') return bad(`versao must be "1.01", not "${String(dist['@_versao'])}"`, cnpj, op);
  const tpAmb = text('tpAmb');
  if (tpAmb !== '1' && tpAmb !== '2') return bad('tpAmb must be 1 or 2', cnpj, op);
  const cUFAutor = dist['cUFAutor'];
  if (cUFAutor !== undefined && (typeof cUFAutor !== 'string' || !UF_CODE_SET.has(cUFAutor))) {
    return bad('cUFAutor is not the IBGE code of a state', cnpj, op);
  }
  let interested: { CNPJ: string } | { CPF: string };
  if (cnpj !== undefined && cpf === undefined && CNPJ_SHAPE.test(cnpj)) interested = { CNPJ: cnpj };
  else if (cpf !== undefined && cnpj === undefined && CPF_SHAPE.test(cpf)) interested = { CPF: cpf };
  else return bad('exactly one CNPJ (14 characters) or CPF (11 digits) is required', cnpj, op);
  if (op === undefined) return bad('exactly one of distNSU, consNSU, consChNFe is required', cnpj);
  const [inner, shape] =
    op === 'distNSU' ? (['ultNSU', NSU_SHAPE] as const) : op === 'consNSU' ? (['NSU', NSU_SHAPE] as const) : (['chNFe', KEY_SHAPE] as const);
  const value = child(dist, op)?.[inner];
  if (typeof value !== 'string' || !shape.test(value)) {
    return bad(`${op}/${inner} is missing or malformed (${op === 'consChNFe' ? '44 characters' : '15 digits'})`, cnpj, op);
  }
  return { kind: 'query', soap, tpAmb, interested, op, value };
}

export const CONTENT_TYPES: Readonly<Record<SoapVersion, string>> = {
  '1.2': 'application/soap+xml; charset=utf-8',
  '1.1': 'text/xml; charset=utf-8',
};

const XSI_XSD = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"';

/** The whole answer, byte for byte in the form of the real capture. */
export function renderDistResponse(soap: SoapVersion, ret: RetDist): string {
  const cursor =
    (ret.ultNSU === undefined ? '' : `<ultNSU>${ret.ultNSU}</ultNSU>`) + (ret.maxNSU === undefined ? '' : `<maxNSU>${ret.maxNSU}</maxNSU>`);
  const lote =
    ret.docs.length === 0
      ? ''
      : '<loteDistDFeInt>' +
        ret.docs
          .map((d) => `<docZip${d.NSU === undefined ? '' : ` NSU="${d.NSU}"`} schema="${d.schema}">${d.content}</docZip>`)
          .join('') +
        '</loteDistDFeInt>';
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NAMESPACES[soap]}" ${XSI_XSD}><soap:Body>` +
    `<nfeDistDFeInteresseResponse xmlns="${DIST_WSDL_NAMESPACE}"><nfeDistDFeInteresseResult>` +
    `<retDistDFeInt xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" versao="1.01" xmlns="http://www.portalfiscal.inf.br/nfe">` +
    `<tpAmb>${ret.tpAmb}</tpAmb><verAplic>${escapeXml(ret.verAplic)}</verAplic><cStat>${ret.cStat}</cStat>` +
    `<xMotivo>${escapeXml(ret.xMotivo)}</xMotivo><dhResp>${ret.dhResp}</dhResp>${cursor}${lote}` +
    '</retDistDFeInt></nfeDistDFeInteresseResult></nfeDistDFeInteresseResponse></soap:Body></soap:Envelope>'
  );
}

/** A SOAP Fault as an ASP.NET .asmx writes it (sent with HTTP 500). */
export function renderSoapFault(soap: SoapVersion, who: 'client' | 'server', reason: string): string {
  const text = escapeXml(reason);
  const fault =
    soap === '1.2'
      ? `<soap:Fault><soap:Code><soap:Value>soap:${who === 'client' ? 'Sender' : 'Receiver'}</soap:Value></soap:Code>` +
        `<soap:Reason><soap:Text xml:lang="en">${text}</soap:Text></soap:Reason><soap:Detail /></soap:Fault>`
      : `<soap:Fault><faultcode>soap:${who === 'client' ? 'Client' : 'Server'}</faultcode><faultstring>${text}</faultstring><detail /></soap:Fault>`;
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NAMESPACES[soap]}" ${XSI_XSD}><soap:Body>${fault}</soap:Body></soap:Envelope>`;
}
