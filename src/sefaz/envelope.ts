import { buildDistDFeInt } from './request.js';
import { path } from './node.js';
import type { XmlNode } from './xml.js';
import type { DistRequest } from './types.js';

export type SoapVersion = '1.2' | '1.1';

export const SOAP_NAMESPACES: Record<SoapVersion, string> = {
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
};

/** targetNamespace of the official WSDL (schemas/NFeDistribuicaoDFe.wsdl). */
export const DIST_WSDL_NAMESPACE = 'http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe';
export const DIST_OPERATION = 'nfeDistDFeInteresse';
/** The soapAction of both WSDL bindings. */
export const DIST_ACTION = `${DIST_WSDL_NAMESPACE}/${DIST_OPERATION}`;

export interface DistEnvelope {
  body: string;
  /** The Content-Type header to send. */
  contentType: string;
  /** The action URI (SOAP 1.2 carries it in contentType). */
  action: string;
  /** SOAP 1.1 only: the SOAPAction header value, quoted as the 1.1 spec and .NET expect. */
  soapAction?: string;
}

/**
 * The SOAP request as sped-nfe builds it (PROTOCOL.md §1): prefix `soap`, no Header,
 * document/literal wrapped (`nfeDistDFeInteresse/nfeDadosMsg`), no XML declaration.
 * SOAP 1.2 is what SEFAZ's own clients speak; 1.1 is there for the simulator's tests.
 */
export function buildDistEnvelope(req: DistRequest, soapVersion: SoapVersion = '1.2'): DistEnvelope {
  const body =
    `<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="${SOAP_NAMESPACES[soapVersion]}">` +
    '<soap:Body>' +
    `<${DIST_OPERATION} xmlns="${DIST_WSDL_NAMESPACE}"><nfeDadosMsg xmlns="${DIST_WSDL_NAMESPACE}">` +
    buildDistDFeInt(req) +
    `</nfeDadosMsg></${DIST_OPERATION}>` +
    '</soap:Body></soap:Envelope>';
  if (soapVersion === '1.2') {
    return { body, contentType: `application/soap+xml; charset=utf-8; action="${DIST_ACTION}"`, action: DIST_ACTION };
  }
  return { body, contentType: 'text/xml; charset=utf-8', action: DIST_ACTION, soapAction: `"${DIST_ACTION}"` };
}

/** The Body of a SOAP 1.1 or 1.2 envelope (prefixes are stripped by parseXml), if any. */
export function soapBody(doc: XmlNode): XmlNode | undefined {
  return path(doc, 'Envelope', 'Body');
}
