import { SOAP_NAMESPACES } from './envelope.js';
import { BadRequestError } from './errors.js';

/** Namespace of nfeDadosMsg and of the answer's Result element (PROTOCOL.md §3). */
export const EVENT_WSDL_NAMESPACE = 'http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4';
/** The action DFe.NET sends to the AN (PROTOCOL.md recommends it). */
export const EVENT_ACTION = `${EVENT_WSDL_NAMESPACE}/nfeRecepcaoEventoNF`;
/** The action sped-nfe builds for the same service; the simulator accepts both. */
export const EVENT_ACTION_SPED = `${EVENT_WSDL_NAMESPACE}/nfeRecepcaoEvento`;

export interface EventEnvelope {
  body: string;
  /** SOAP 1.2 carries the action in the Content-Type header. */
  contentType: string;
  action: string;
}

/**
 * The SOAP 1.2 request for NFeRecepcaoEvento4 with the bare body DFe.NET sends:
 * `<soap12:Body><nfeDadosMsg xmlns="…/NFeRecepcaoEvento4"><envEvento …/></nfeDadosMsg>`,
 * no Header (nfeCabecMsg is "não utilizar" in 4.00), no XML declaration. The signed
 * envEvento goes in byte for byte: re-serializing it could only risk its signatures.
 */
export function buildEventEnvelope(signedEnvEvento: string, opts: { action?: string } = {}): EventEnvelope {
  const action = opts.action ?? EVENT_ACTION;
  // The action lands inside a quoted header parameter.
  if (typeof action !== 'string' || !/^[\x21-\x7e]+$/.test(action) || action.includes('"')) {
    throw new BadRequestError(`event envelope: the action "${String(action)}" must be a URI without spaces or quotes`);
  }
  if (typeof signedEnvEvento !== 'string' || !/^<envEvento[\s>]/.test(signedEnvEvento) || !signedEnvEvento.endsWith('</envEvento>')) {
    throw new BadRequestError('event envelope: expected a signed envEvento element (no XML declaration, nothing around it)');
  }
  // An unsigned evento fails the schema, and SEFAZ's rejection of it would be final.
  const events = signedEnvEvento.match(/<evento[\s>]/g)?.length ?? 0;
  const signatures = signedEnvEvento.match(/<Signature[\s>]/g)?.length ?? 0;
  if (events === 0 || signatures !== events) {
    throw new BadRequestError(`event envelope: ${events} evento but ${signatures} Signature: sign the batch (signEnvEvento) before sending it`);
  }
  const body =
    `<soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap12="${SOAP_NAMESPACES['1.2']}">` +
    `<soap12:Body><nfeDadosMsg xmlns="${EVENT_WSDL_NAMESPACE}">` +
    signedEnvEvento +
    '</nfeDadosMsg></soap12:Body></soap12:Envelope>';
  return { body, contentType: `application/soap+xml; charset=utf-8; action="${action}"`, action };
}
