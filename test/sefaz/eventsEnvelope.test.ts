import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePfx } from '../../src/cert/pkcs12.js';
import { signEnvEvento } from '../../src/cert/sign.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import { SOAP_NAMESPACES } from '../../src/sefaz/envelope.js';
import {
  buildEventEnvelope, EVENT_ACTION, EVENT_ACTION_SPED, EVENT_WSDL_NAMESPACE,
} from '../../src/sefaz/eventEnvelope.js';
import { buildEnvEvento } from '../../src/sefaz/events.js';
import { parseXml } from '../../src/sefaz/xml.js';
import { samplePath } from '../helpers/reference.js';
import { BadRequestError } from '../../src/sefaz/errors.js';
import { thrown } from '../helpers/thrown.js';

const badRequest = (fn: () => unknown): BadRequestError => thrown(BadRequestError, fn);

const CNPJ = '58716523000119';
const KEY = '41241275104406000547550010001618511133300785';
const unsigned = buildEnvEvento({
  idLote: '1',
  events: [{ tpAmb: '2', author: { CNPJ }, chNFe: KEY, tpEvento: '210210', dhEvento: '2026-03-02T09:15:00-03:00' }],
});
const signed = signEnvEvento(unsigned, decodePfx(makeClientPfx(makeTestCA(), { cnpj: CNPJ, password: 'p' }), 'p', 'envelope-test.pfx'));

describe('buildEventEnvelope', () => {
  it('wraps the signed envEvento, unchanged, in a bare SOAP 1.2 nfeDadosMsg with the recommended action', () => {
    const env = buildEventEnvelope(signed);
    expect(EVENT_ACTION).toBe('http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4/nfeRecepcaoEventoNF');
    expect(env.action).toBe(EVENT_ACTION);
    expect(env.contentType).toBe(`application/soap+xml; charset=utf-8; action="${EVENT_ACTION}"`);
    expect(env.body).toBe(
      `<soap12:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap12="${SOAP_NAMESPACES['1.2']}">` +
        `<soap12:Body><nfeDadosMsg xmlns="${EVENT_WSDL_NAMESPACE}">${signed}</nfeDadosMsg></soap12:Body></soap12:Envelope>`,
    );
    const doc = parseXml(env.body) as { Envelope: { Body: Record<string, unknown> } };
    expect(Object.keys(doc.Envelope)).toEqual(['Body']);
    expect(Object.keys(doc.Envelope.Body)).toEqual(['nfeDadosMsg']);
  });

  it("carries nfeDadosMsg as sped-nfe's request does", () => {
    const fixture = readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8');
    const startTag = (xml: string) => /<nfeDadosMsg[^>]*>/.exec(xml)![0];
    expect(startTag(buildEventEnvelope(signed).body)).toBe(startTag(fixture));
    expect(/<nfeDadosMsg[^>]*><envEvento [^>]*>/.exec(buildEventEnvelope(signed).body)![0]).toBe(/<nfeDadosMsg[^>]*><envEvento [^>]*>/.exec(fixture)![0]);
  });

  it("takes sped-nfe's action, or any other, when configured", () => {
    expect(EVENT_ACTION_SPED).toBe('http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4/nfeRecepcaoEvento');
    const env = buildEventEnvelope(signed, { action: EVENT_ACTION_SPED });
    expect(env.action).toBe(EVENT_ACTION_SPED);
    expect(env.contentType).toBe(`application/soap+xml; charset=utf-8; action="${EVENT_ACTION_SPED}"`);
    expect(env.body).toBe(buildEventEnvelope(signed).body);
  });

  it('refuses an unsigned or wrapped batch and an action that would break the header', () => {
    expect(badRequest(() => buildEventEnvelope(unsigned)).message).toMatch(/1 evento but 0 Signature/);
    expect(badRequest(() => buildEventEnvelope(`<?xml version="1.0" encoding="UTF-8"?>${signed}`)).message).toMatch(/signed envEvento/);
    expect(badRequest(() => buildEventEnvelope(`${signed}\n`)).message).toMatch(/signed envEvento/);
    expect(badRequest(() => buildEventEnvelope(signed, { action: 'urn:a" x="b' })).message).toMatch(/action/);
    expect(badRequest(() => buildEventEnvelope(signed, { action: 'urn:a b' })).message).toMatch(/action/);
    expect(badRequest(() => buildEventEnvelope(signed, { action: '' })).message).toMatch(/action/);
  });
});
