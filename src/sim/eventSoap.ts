import { SOAP_NAMESPACES, soapBody, type SoapVersion } from '../sefaz/envelope.js';
import { UF_CODES } from '../sefaz/identifiers.js';
import { child, childText, isNode } from '../sefaz/node.js';
import { escapeXml, parseXml, type XmlNode } from '../sefaz/xml.js';
import { soapVersionOf } from './soap.js';

/**
 * The wire of NFeRecepcaoEvento4 at the national environment (PROTOCOL.md §3), server
 * side: reading a request in SOAP 1.2 or 1.1 (nfeDadosMsg bare, as DFe.NET sends it, or
 * inside an operation element), checking its envEvento against envEvento_v1.00.xsd and
 * the ICP-Brasil xmldsig schema (a failure refuses the whole batch, 225), and writing
 * retEnvEvento inside nfeRecepcaoEventoNFResult.
 *
 * Written from the schemas, not from the client's builder (src/sefaz/events.ts): the
 * simulator must catch what the client gets wrong.
 */

export const EVENT_NAMESPACE = 'http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4';
/** DFe.NET's action (…NF) and sped-nfe's: both are in use, and both are accepted. */
export const EVENT_ACTIONS: readonly string[] = [`${EVENT_NAMESPACE}/nfeRecepcaoEventoNF`, `${EVENT_NAMESPACE}/nfeRecepcaoEvento`];

const NFE_NAMESPACE = 'http://www.portalfiscal.inf.br/nfe';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const RSA_SHA1 = `${DS}rsa-sha1`;
export const SHA1 = `${DS}sha1`;
export const ENVELOPED = `${DS}enveloped-signature`;

export interface EventoFields {
  Id: string;
  cOrgao: string;
  tpAmb: string;
  author: { CNPJ: string } | { CPF: string };
  chNFe: string;
  dhEvento: string;
  tpEvento: string;
  nSeqEvento: string;
  verEvento: string;
  detEvento: {
    versao: string | undefined;
    /** Child element names, in order. */
    elements: string[];
    descEvento: string | undefined;
    xJust: string | undefined;
  };
}

export type BatchRefusal = '225' | '404' | '588';

export type ParsedEventRequest =
  /** Not a SOAP request for this service: a SOAP Fault, as an .asmx answers. */
  | { kind: 'not-soap'; soap: SoapVersion; reason: string }
  /** The whole batch refused (225 schema, 404 namespace prefix, 588 whitespace between tags): no event is looked at. */
  | { kind: 'refused'; soap: SoapVersion; cStat: BatchRefusal; reason: string; idLote: string | null; author: string | null }
  | {
      kind: 'batch';
      soap: SoapVersion;
      idLote: string;
      /** The first event's author (CNPJ or CPF): whom the call is logged and faults are matched for. */
      author: string;
      /** The envEvento taken out of nfeDadosMsg, as SEFAZ verifies it. */
      envEvento: string;
      events: EventoFields[];
    };

const ID_LOTE = /^[0-9]{1,15}$/;
/** "ID" + tpEvento + chNFe (issuer CNPJ possibly alphanumeric, PL_010) + nSeqEvento in 2 digits. */
const EVENT_ID = /^ID[0-9]{12}[0-9A-Z]{12}[0-9]{28}$/;
const KEY_SHAPE = /^[0-9]{6}[0-9A-Z]{12}[0-9]{26}$/;
const CNPJ_SHAPE = /^[0-9A-Z]{12}[0-9]{2}$/;
const CPF_SHAPE = /^[0-9]{11}$/;
/** TDateTimeUTC of tiposBasico_v1.03.xsd. */
const DATE_TIME_UTC =
  /^(((20(([02468][048])|([13579][26]))-02-29))|(20[0-9][0-9])-((((0[1-9])|(1[0-2]))-((0[1-9])|(1\d)|(2[0-8])))|((((0[13578])|(1[02]))-31)|(((0[1,3-9])|(1[0-2]))-(29|30)))))T(20|21|22|23|[0-1]\d):[0-5]\d:[0-5]\d([-,+](0[0-9]|10|11):00|(\+(12):00))$/;
/** TCOrgaoIBGE: the states, 90 (SUFRAMA), 91 (AN), 92. */
const ORGAOS: ReadonlySet<string> = new Set([...Object.values(UF_CODES), '90', '91', '92']);
const INF_EVENTO_ORDER = ['cOrgao', 'tpAmb', 'author', 'chNFe', 'dhEvento', 'tpEvento', 'nSeqEvento', 'verEvento', 'detEvento'];
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/** The element names of a parsed node, in document order, attributes and text left out. */
function elementNames(node: XmlNode): string[] {
  return Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
}

function headerAction(contentType: string | undefined, soapAction: string | undefined): string | null {
  const fromType = /(?:^|;)\s*action\s*=\s*"?([^";]*)"?/i.exec(contentType ?? '')?.[1];
  const raw = fromType ?? soapAction;
  if (raw === undefined) return null;
  const action = raw.trim().replace(/^"(.*)"$/, '$1');
  return action === '' ? null : action;
}

/**
 * The envEvento element as its own document: its text cut out of the request. The
 * signature is over infEvento's inclusive canonical form, which takes in every namespace
 * in scope: inside the SOAP envelope that would include soap/xsi/xsd, which the signer
 * never saw. Null when there is none.
 */
export function extractEnvEvento(text: string): string | null {
  const start = /<envEvento[\s>/]/.exec(text)?.index;
  const end = text.lastIndexOf('</envEvento>');
  if (start === undefined || end < start) return null;
  return text.slice(start, end + '</envEvento>'.length);
}

export function parseEventRequest(body: string, contentType: string | undefined, soapAction: string | undefined): ParsedEventRequest {
  const soap = soapVersionOf(body, contentType);
  const action = headerAction(contentType, soapAction);
  if (action !== null && !EVENT_ACTIONS.includes(action)) {
    return { kind: 'not-soap', soap, reason: `Server did not recognize the value of HTTP Header SOAPAction: ${action}.` };
  }
  const refused = (reason: string, idLote: string | null = null, author: string | null = null, cStat: BatchRefusal = '225'): ParsedEventRequest => ({
    kind: 'refused',
    soap,
    cStat,
    reason,
    idLote,
    author,
  });
  let doc: XmlNode;
  try {
    doc = parseXml(body.replace(/^\uFEFF/, ''));
  } catch (err) {
    return refused(`the request is not well-formed XML: ${(err as Error).message}`);
  }
  const soapBodyNode = soapBody(doc);
  if (soapBodyNode === undefined) return { kind: 'not-soap', soap, reason: 'Server was unable to read request: no SOAP Envelope/Body.' };
  // Bare, as DFe.NET sends it; or inside an operation element (document/literal wrapped stacks).
  const dadosMsg =
    child(soapBodyNode, 'nfeDadosMsg') ??
    elementNames(soapBodyNode)
      .map((name) => child(child(soapBodyNode, name), 'nfeDadosMsg'))
      .find((n) => n !== undefined);
  if (dadosMsg === undefined) {
    return { kind: 'not-soap', soap, reason: 'Server did not recognize the body element: expected nfeDadosMsg.' };
  }
  const text = extractEnvEvento(body);
  if (text === null || dadosMsg['envEvento'] === undefined) return refused('nfeDadosMsg holds no envEvento element');
  const idLoteSent = /<idLote>([^<]*)<\/idLote>/.exec(text)?.[1] ?? null;
  const firstAuthor = /<(?:CNPJ|CPF)>([^<]*)<\/(?:CNPJ|CPF)>/.exec(text)?.[1] ?? null;
  const idLote = idLoteSent !== null && ID_LOTE.test(idLoteSent) ? idLoteSent : null;
  if (/<\/?[A-Za-z_][\w.-]*:/.test(text)) return refused('namespace prefixes are not allowed in envEvento', idLote, firstAuthor, '404');
  if (/>\s+</.test(text)) return refused('envEvento has blanks or line breaks between its tags', idLote, firstAuthor, '588');
  let env: XmlNode;
  try {
    env = parseXml(text);
  } catch (err) {
    return refused(`envEvento is not well-formed on its own: ${(err as Error).message}`, idLote, firstAuthor);
  }
  const root = child(env, 'envEvento');
  const rootTag = /^<envEvento\b[^>]*>/.exec(text)?.[0] ?? '';
  if (root === undefined || !rootTag.includes(`xmlns="${NFE_NAMESPACE}"`)) {
    return refused(`envEvento must be in the namespace ${NFE_NAMESPACE}`, idLote, firstAuthor);
  }
  const problem = envEventoProblem(root);
  if (problem !== null) return refused(problem, idLote, firstAuthor);
  const events = (root['evento'] as XmlNode[]).map((e) => eventoFields(child(e, 'infEvento')!));
  return { kind: 'batch', soap, idLote: idLote!, author: authorOf(events[0]!), envEvento: text, events };
}

export function authorOf(ev: EventoFields): string {
  return 'CNPJ' in ev.author ? ev.author.CNPJ : ev.author.CPF;
}

/** What breaks envEvento_v1.00.xsd (and the xmldsig schema it imports); null when nothing does. */
function envEventoProblem(root: XmlNode): string | null {
  if (root['@_versao'] !== '1.00') return `envEvento versao must be "1.00", not "${String(root['@_versao'])}"`;
  const names = elementNames(root);
  if (names.join() !== 'idLote,evento') return `envEvento must hold idLote then evento, not ${names.join(', ') || 'nothing'}`;
  const idLote = childText(root, 'idLote');
  if (idLote === undefined || !ID_LOTE.test(idLote)) return `idLote "${String(idLote)}" is not 1 to 15 digits`;
  const eventos = root['evento'] as unknown[];
  if (eventos.length < 1 || eventos.length > 20) return `a batch holds 1 to 20 evento, not ${eventos.length}`;
  const ids = new Set<string>();
  for (const [i, evento] of eventos.entries()) {
    const where = `evento ${i + 1}`;
    if (!isNode(evento)) return `${where} is empty`;
    if (evento['@_versao'] !== '1.00') return `${where}: versao must be "1.00"`;
    if (elementNames(evento).join() !== 'infEvento,Signature') return `${where} must hold infEvento then Signature`;
    const inf = child(evento, 'infEvento')!;
    const id = inf['@_Id'];
    if (typeof id !== 'string' || !EVENT_ID.test(id)) return `${where}: infEvento Id "${String(id)}" does not match ID + 52 characters`;
    if (ids.has(id)) return `${where}: Id ${id} appears twice (xs:ID)`;
    ids.add(id);
    const problem = infEventoProblem(inf) ?? signatureProblem(evento['Signature']);
    if (problem !== null) return `${where}: ${problem}`;
  }
  return null;
}

function infEventoProblem(inf: XmlNode): string | null {
  const names = elementNames(inf).map((n) => (n === 'CNPJ' || n === 'CPF' ? 'author' : n));
  if (names.join() !== INF_EVENTO_ORDER.join()) return `infEvento must hold ${INF_EVENTO_ORDER.join(', ').replace('author', 'CNPJ|CPF')} in that order`;
  const text = (name: string): string | undefined => (typeof inf[name] === 'string' ? inf[name] : undefined);
  const checks: [string, (v: string) => boolean][] = [
    ['cOrgao', (v) => ORGAOS.has(v)],
    ['tpAmb', (v) => v === '1' || v === '2'],
    [inf['CNPJ'] !== undefined ? 'CNPJ' : 'CPF', (v) => (inf['CNPJ'] !== undefined ? CNPJ_SHAPE : CPF_SHAPE).test(v)],
    ['chNFe', (v) => KEY_SHAPE.test(v)],
    ['dhEvento', (v) => DATE_TIME_UTC.test(v)],
    ['tpEvento', (v) => /^[0-9]{6}$/.test(v)],
    ['nSeqEvento', (v) => /^[1-9][0-9]?$/.test(v)],
    ['verEvento', () => true],
  ];
  for (const [name, ok] of checks) {
    const v = text(name);
    if (v === undefined || !ok(v)) return `${name} "${String(v ?? '')}" is not valid`;
  }
  const det = inf['detEvento'];
  if (!isNode(det) || elementNames(det).length === 0) return 'detEvento must hold at least one element';
  return null;
}

/** The ICP-Brasil xmldsig-core-schema_v1.01.xsd: its algorithms are fixed attributes. */
function signatureProblem(sig: unknown): string | null {
  if (!isNode(sig) || elementNames(sig).join() !== 'SignedInfo,SignatureValue,KeyInfo') {
    return 'Signature must hold SignedInfo, SignatureValue, KeyInfo';
  }
  const info = child(sig, 'SignedInfo')!;
  if (elementNames(info).join() !== 'CanonicalizationMethod,SignatureMethod,Reference') {
    return 'SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference';
  }
  if (child(info, 'CanonicalizationMethod')?.['@_Algorithm'] !== C14N) return `CanonicalizationMethod must be ${C14N}`;
  if (child(info, 'SignatureMethod')?.['@_Algorithm'] !== RSA_SHA1) return `SignatureMethod must be ${RSA_SHA1}`;
  const ref = info['Reference'];
  if (!isNode(ref) || elementNames(ref).join() !== 'Transforms,DigestMethod,DigestValue') {
    return 'Reference must hold Transforms, DigestMethod, DigestValue';
  }
  if (typeof ref['@_URI'] !== 'string' || ref['@_URI'].length < 2) return 'Reference URI is required';
  const transforms = child(ref, 'Transforms')?.['Transform'];
  const algorithms = (Array.isArray(transforms) ? transforms : [transforms]).map((t) => (isNode(t) ? t['@_Algorithm'] : undefined));
  if (algorithms.length !== 2 || new Set(algorithms).size !== 2 || !algorithms.every((a) => a === ENVELOPED || a === C14N)) {
    return `Transforms must be exactly ${ENVELOPED} and ${C14N}`;
  }
  if (child(ref, 'DigestMethod')?.['@_Algorithm'] !== SHA1) return `DigestMethod must be ${SHA1}`;
  const base64 = (v: unknown): boolean => typeof v === 'string' && BASE64.test(v);
  if (!base64(ref['DigestValue'])) return 'DigestValue must be base64';
  if (!base64(sig['SignatureValue'])) return 'SignatureValue must be base64';
  const keyInfo = child(sig, 'KeyInfo');
  const x509 = child(keyInfo, 'X509Data');
  if (keyInfo === undefined || elementNames(keyInfo).join() !== 'X509Data' || x509 === undefined || elementNames(x509).join() !== 'X509Certificate') {
    return 'KeyInfo must hold X509Data with one X509Certificate';
  }
  if (!base64(x509['X509Certificate'])) return 'X509Certificate must be base64';
  return null;
}

function eventoFields(inf: XmlNode): EventoFields {
  const text = (name: string): string => childText(inf, name) ?? '';
  const det = child(inf, 'detEvento')!;
  return {
    Id: inf['@_Id'] as string,
    cOrgao: text('cOrgao'),
    tpAmb: text('tpAmb'),
    author: inf['CNPJ'] !== undefined ? { CNPJ: text('CNPJ') } : { CPF: text('CPF') },
    chNFe: text('chNFe'),
    dhEvento: text('dhEvento'),
    tpEvento: text('tpEvento'),
    nSeqEvento: text('nSeqEvento'),
    verEvento: text('verEvento'),
    detEvento: {
      versao: typeof det['@_versao'] === 'string' ? det['@_versao'] : undefined,
      elements: elementNames(det),
      descEvento: typeof det['descEvento'] === 'string' ? det['descEvento'] : undefined,
      xJust: typeof det['xJust'] === 'string' ? det['xJust'] : undefined,
    },
  };
}

/** One retEvento/infEvento, field by field (TRetEvento order). */
export interface RetEvento {
  tpAmb: string;
  verAplic: string;
  cOrgao: string;
  cStat: string;
  xMotivo: string;
  chNFe?: string;
  tpEvento?: string;
  xEvento?: string;
  nSeqEvento?: string;
  CNPJDest?: string;
  CPFDest?: string;
  dhRegEvento: string;
  nProt?: string;
}

export interface RetEnvEvento {
  idLote: string;
  tpAmb: string;
  verAplic: string;
  cOrgao: string;
  cStat: string;
  xMotivo: string;
  retEvento: RetEvento[];
}

const XSI_XSD = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"';

function renderRetEvento(r: RetEvento): string {
  const opt = (name: keyof RetEvento): string => (r[name] === undefined ? '' : `<${name}>${escapeXml(r[name])}</${name}>`);
  return (
    '<retEvento versao="1.00">' +
    `<infEvento${r.nProt === undefined ? '' : ` Id="ID${r.nProt}"`}>` +
    `<tpAmb>${r.tpAmb}</tpAmb><verAplic>${escapeXml(r.verAplic)}</verAplic><cOrgao>${r.cOrgao}</cOrgao>` +
    `<cStat>${r.cStat}</cStat><xMotivo>${escapeXml(r.xMotivo)}</xMotivo>` +
    opt('chNFe') + opt('tpEvento') + opt('xEvento') + opt('nSeqEvento') + opt('CNPJDest') + opt('CPFDest') +
    `<dhRegEvento>${r.dhRegEvento}</dhRegEvento>` + opt('nProt') +
    '</infEvento></retEvento>'
  );
}

/** The whole answer: retEnvEvento in nfeRecepcaoEventoNFResult (DFe.NET's and the nfelib mock's form). */
export function renderEventResponse(soap: SoapVersion, ret: RetEnvEvento): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NAMESPACES[soap]}" ${XSI_XSD}><soap:Body>` +
    `<nfeRecepcaoEventoNFResult xmlns="${EVENT_NAMESPACE}">` +
    `<retEnvEvento versao="1.00" xmlns="${NFE_NAMESPACE}">` +
    `<idLote>${ret.idLote}</idLote><tpAmb>${ret.tpAmb}</tpAmb><verAplic>${escapeXml(ret.verAplic)}</verAplic>` +
    `<cOrgao>${ret.cOrgao}</cOrgao><cStat>${ret.cStat}</cStat><xMotivo>${escapeXml(ret.xMotivo)}</xMotivo>` +
    ret.retEvento.map(renderRetEvento).join('') +
    '</retEnvEvento></nfeRecepcaoEventoNFResult></soap:Body></soap:Envelope>'
  );
}
