import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateXML } from 'xmllint-wasm';
import { buildDistDFeInt, DIST_VERSION, NFE_NAMESPACE } from '../../src/sefaz/request.js';
import {
  buildDistEnvelope, DIST_ACTION, DIST_WSDL_NAMESPACE, SOAP_NAMESPACES,
} from '../../src/sefaz/envelope.js';
import { BadRequestError } from '../../src/sefaz/errors.js';
import { buildAccessKey, cnpjCheckDigits, isValidCpf } from '../../src/sefaz/identifiers.js';
import { parseXml } from '../../src/sefaz/xml.js';
import type { DistRequest } from '../../src/sefaz/types.js';
import { samplePath, sefazSchemaPath } from '../helpers/reference.js';

const CNPJ = '58716523000119';
const CPF = '11144477735';
const ALNUM_CNPJ = '12ABC34501DE35';
const KEY = '41241275104406000547550010001618511133300785';
const ALNUM_KEY = buildAccessKey({
  cUF: '35', AAMM: '2608', CNPJ: ALNUM_CNPJ, mod: '55', serie: '1', nNF: '42', tpEmis: '1', cNF: '12345678',
});

function req(over: Partial<DistRequest> = {}): DistRequest {
  return { tpAmb: '1', cUFAutor: '35', interested: { CNPJ }, query: { kind: 'distNSU', ultNSU: '0' }, ...over };
}

function expectBadRequest(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).code).toBe('BAD_REQUEST');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a BadRequestError');
}

describe('buildDistDFeInt', () => {
  it('writes the three queries in the XSD order with 15-digit NSUs', () => {
    expect(buildDistDFeInt(req())).toBe(
      `<distDFeInt xmlns="${NFE_NAMESPACE}" versao="1.01"><tpAmb>1</tpAmb><cUFAutor>35</cUFAutor><CNPJ>${CNPJ}</CNPJ>` +
        '<distNSU><ultNSU>000000000000000</ultNSU></distNSU></distDFeInt>',
    );
    expect(buildDistDFeInt(req({ tpAmb: '2', interested: { CPF }, query: { kind: 'consNSU', NSU: '243874' } }))).toBe(
      `<distDFeInt xmlns="${NFE_NAMESPACE}" versao="1.01"><tpAmb>2</tpAmb><cUFAutor>35</cUFAutor><CPF>${CPF}</CPF>` +
        '<consNSU><NSU>000000000243874</NSU></consNSU></distDFeInt>',
    );
    expect(buildDistDFeInt({ tpAmb: '1', interested: { CNPJ }, query: { kind: 'consChNFe', chNFe: KEY } })).toBe(
      `<distDFeInt xmlns="${NFE_NAMESPACE}" versao="1.01"><tpAmb>1</tpAmb><CNPJ>${CNPJ}</CNPJ>` +
        `<consChNFe><chNFe>${KEY}</chNFe></consChNFe></distDFeInt>`,
    );
  });

  it('accepts alphanumeric CNPJs as the interested party and in keys', () => {
    expect(buildDistDFeInt(req({ interested: { CNPJ: ALNUM_CNPJ } }))).toContain(`<CNPJ>${ALNUM_CNPJ}</CNPJ>`);
    expect(buildDistDFeInt(req({ query: { kind: 'consChNFe', chNFe: ALNUM_KEY } }))).toContain(`<chNFe>${ALNUM_KEY}</chNFe>`);
  });

  it('refuses each malformed field with BAD_REQUEST and says which', () => {
    expectBadRequest(() => buildDistDFeInt(req({ interested: { CNPJ: '58716523000118' } })), /CNPJ .*check digits/);
    expectBadRequest(() => buildDistDFeInt(req({ interested: { CNPJ: '5871652300011' } })), /not a 14-digit CNPJ/);
    expectBadRequest(() => buildDistDFeInt(req({ interested: { CNPJ: '12abc34501de35' } })), /CNPJ/);
    expectBadRequest(() => buildDistDFeInt(req({ interested: { CPF: '11144477734' } })), /CPF "11144477734"/);
    expectBadRequest(() => buildDistDFeInt(req({ interested: { CPF: '111.444.777-35' } })), /CPF/);
    expectBadRequest(() => buildDistDFeInt(req({ cUFAutor: 'SP' })), /cUFAutor "SP"/);
    expectBadRequest(() => buildDistDFeInt(req({ cUFAutor: '91' })), /cUFAutor "91"/);
    expectBadRequest(() => buildDistDFeInt(req({ tpAmb: '3' as '1' })), /tpAmb/);
    expectBadRequest(() => buildDistDFeInt(req({ query: { kind: 'distNSU', ultNSU: '1234567890123456' } })), /ultNSU/);
    expectBadRequest(() => buildDistDFeInt(req({ query: { kind: 'distNSU', ultNSU: '' } })), /ultNSU/);
    expectBadRequest(() => buildDistDFeInt(req({ query: { kind: 'consNSU', NSU: '-1' } })), /NSU "-1"/);
    expectBadRequest(() => buildDistDFeInt(req({ query: { kind: 'consNSU', NSU: 12 as unknown as string } })), /NSU/);
    const badDigit = KEY.slice(0, 43) + String((Number(KEY[43]) + 1) % 10);
    expectBadRequest(() => buildDistDFeInt(req({ query: { kind: 'consChNFe', chNFe: badDigit } })), /chNFe/);
    expectBadRequest(() => buildDistDFeInt(req({ query: { kind: 'consChNFe', chNFe: KEY.slice(1) } })), /chNFe/);
  });
});

describe('buildDistEnvelope', () => {
  it('is the sped-nfe SOAP 1.2 request byte for byte, but for its empty Header', () => {
    const sample = readFileSync(samplePath('spednfe_req_dfe_distNSU_soap12.xml'), 'utf8');
    const env = buildDistEnvelope(req());
    expect(sample).toContain('<soap:Header/>');
    expect(env.body).toBe(sample.trim().replace('<soap:Header/>', ''));
    expect(env.contentType).toBe(
      'application/soap+xml; charset=utf-8; action="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe/nfeDistDFeInteresse"',
    );
    expect(env.action).toBe(DIST_ACTION);
    expect(env.soapAction).toBeUndefined();
  });

  it('wraps consNSU the way sped-nfe does (same elements, same namespaces)', () => {
    const sample = readFileSync(samplePath('spednfe_exemplo_xml_dist_dfe_consNSU_body.xml'), 'utf8');
    const env = buildDistEnvelope({
      tpAmb: '2', cUFAutor: '35', interested: { CNPJ: '93623057000128' }, query: { kind: 'consNSU', NSU: '200' },
    });
    const inner = /<soap:Body>(.*)<\/soap:Body>/.exec(env.body)?.[1];
    expect(inner).toBe(sample.replace(/>\s+</g, '><').trim());
  });

  it('speaks SOAP 1.1 with a quoted SOAPAction header when asked', () => {
    const env = buildDistEnvelope(req(), '1.1');
    expect(env.body).toContain(`xmlns:soap="${SOAP_NAMESPACES['1.1']}"`);
    expect(env.body).not.toContain(SOAP_NAMESPACES['1.2']);
    expect(env.contentType).toBe('text/xml; charset=utf-8');
    expect(env.soapAction).toBe(`"${DIST_ACTION}"`);
    const doc = parseXml(env.body);
    expect(doc).toHaveProperty(['Envelope', 'Body', 'nfeDistDFeInteresse', 'nfeDadosMsg', 'distDFeInt', 'tpAmb'], '1');
  });

  it('builds nothing when the request is bad', () => {
    expectBadRequest(() => buildDistEnvelope(req({ interested: { CNPJ: '1' } })), /CNPJ/);
  });
});

// Arbitrary valid requests, numeric only (the v1.01 XSD predates alphanumeric CNPJs).
const numericCnpj = fc
  .stringMatching(/^[0-9]{12}$/)
  .filter((b) => !/^(\d)\1{11}$/.test(b))
  .map((b) => b + cnpjCheckDigits(b));
const cpf = fc.stringMatching(/^[0-9]{11}$/).filter(isValidCpf);
const nsu = fc.bigInt({ min: 0n, max: 999_999_999_999_999n }).map(String);
const key = fc
  .record({ cUF: fc.constantFrom('35', '41', '31'), cnpj: numericCnpj, nNF: fc.integer({ min: 1, max: 999_999_999 }) })
  .map(({ cUF, cnpj, nNF }) =>
    buildAccessKey({ cUF, AAMM: '2601', CNPJ: cnpj, mod: '55', serie: '1', nNF: String(nNF), tpEmis: '1', cNF: '00000001' }),
  );
const query = fc.oneof(
  nsu.map((v) => ({ kind: 'distNSU' as const, ultNSU: v })),
  nsu.map((v) => ({ kind: 'consNSU' as const, NSU: v })),
  key.map((v) => ({ kind: 'consChNFe' as const, chNFe: v })),
);
const request: fc.Arbitrary<DistRequest> = fc.record(
  {
    tpAmb: fc.constantFrom('1' as const, '2' as const),
    cUFAutor: fc.constantFrom('11', '35', '43', '53'),
    interested: fc.oneof(numericCnpj.map((CNPJ) => ({ CNPJ })), cpf.map((CPF) => ({ CPF }))),
    query,
  },
  { requiredKeys: ['tpAmb', 'interested', 'query'] },
);

describe('build/parse invariants', () => {
  it('every field comes back from the built XML as sent, NSUs as 15 digits', () => {
    fc.assert(
      fc.property(request, fc.constantFrom('1.2' as const, '1.1' as const), (r, v) => {
        const doc = parseXml(buildDistEnvelope(r, v).body);
        const dist = (doc as any).Envelope.Body.nfeDistDFeInteresse.nfeDadosMsg.distDFeInt;
        expect(dist['@_versao']).toBe(DIST_VERSION);
        expect(dist.tpAmb).toBe(r.tpAmb);
        expect(dist.cUFAutor).toBe(r.cUFAutor);
        if ('CNPJ' in r.interested) expect(dist.CNPJ).toBe(r.interested.CNPJ);
        else expect(dist.CPF).toBe(r.interested.CPF);
        const q = r.query;
        if (q.kind === 'distNSU') expect(dist.distNSU.ultNSU).toBe(q.ultNSU.padStart(15, '0'));
        if (q.kind === 'consNSU') expect(dist.consNSU.NSU).toBe(q.NSU.padStart(15, '0'));
        if (q.kind === 'consChNFe') expect(dist.consChNFe.chNFe).toBe(q.chNFe);
        expect(Object.keys(dist).filter((k) => !k.startsWith('@_'))).toEqual(
          ['tpAmb', ...(r.cUFAutor ? ['cUFAutor'] : []), 'CNPJ' in r.interested ? 'CNPJ' : 'CPF', q.kind],
        );
      }),
    );
  });
});

describe('distDFeInt against the official XSD (xmllint-wasm)', () => {
  const xsd = (name: string) => ({ fileName: name, contents: readFileSync(sefazSchemaPath('distdfe', name), 'utf8') });
  const validate = (docs: string[]) =>
    validateXML({
      xml: docs.map((contents, i) => ({ fileName: `request${i}.xml`, contents })),
      schema: [xsd('distDFeInt_v1.01.xsd')],
      preload: [xsd('tiposDistDFe_v1.01.xsd'), xsd('xmldsig-core-schema_v1.01.xsd')],
    });

  it('accepts the three queries, for a CNPJ and a CPF, with and without cUFAutor', async () => {
    const docs: string[] = [];
    for (const interested of [{ CNPJ }, { CPF }]) {
      for (const q of [
        { kind: 'distNSU', ultNSU: '0' },
        { kind: 'consNSU', NSU: '999999999999999' },
        { kind: 'consChNFe', chNFe: KEY },
      ] as const) {
        docs.push(buildDistDFeInt({ tpAmb: '1', cUFAutor: '35', interested, query: q }));
        docs.push(buildDistDFeInt({ tpAmb: '2', interested, query: q }));
      }
    }
    const result = await validate(docs);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('accepts a sample of arbitrary valid requests', async () => {
    const docs = fc.sample(request, { numRuns: 60, seed: 20260728 }).map(buildDistDFeInt);
    const result = await validate(docs);
    expect(result.errors).toEqual([]);
  });

  it('is a real check: the schema rejects elements out of order', async () => {
    const swapped = buildDistDFeInt(req()).replace(
      `<cUFAutor>35</cUFAutor><CNPJ>${CNPJ}</CNPJ>`,
      `<CNPJ>${CNPJ}</CNPJ><cUFAutor>35</cUFAutor>`,
    );
    const result = await validate([swapped]);
    expect(result.valid).toBe(false);
  });
});
