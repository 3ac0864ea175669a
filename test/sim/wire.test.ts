/** The simulator on the wire: envelopes, SOAP versions, TLS, malformed requests. */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeTestCA } from '../../src/cert/testMaterial.js';
import { buildDistEnvelope, SOAP_NAMESPACES } from '../../src/sefaz/envelope.js';
import { DIST_PATH } from '../../src/sefaz/endpoints.js';
import { parseDistResponse, parseSoapFault } from '../../src/sefaz/response.js';
import { samplePath } from '../helpers/reference.js';
import { makeClientIdentity } from '../transport/tlsFixtures.js';
import { CERT_CNPJ, branch, distNSU, useHarness } from './harness.js';
import { raw } from './raw.js';
import { validateAll } from './xsd.js';

const ALNUM_CNPJ = '12ABC34501DE35';

const h = useHarness([CERT_CNPJ, ALNUM_CNPJ]);

const identity = () => h.material.identities.get(CERT_CNPJ)!;

function request(cnpj: string, soap: '1.1' | '1.2', tpAmb: '1' | '2' = '2') {
  return buildDistEnvelope({ tpAmb, cUFAutor: '35', interested: { CNPJ: cnpj }, query: { kind: 'distNSU', ultNSU: '000000000000000' } }, soap);
}

describe('answers', () => {
  it('in SOAP 1.2 are shaped byte for byte like the real AN capture, dhResp in -03:00 from the clock', async () => {
    const cnpj = branch(1);
    h.sim.addCompany(cnpj, { documents: 3 });
    const env = request(cnpj, '1.2');
    const a = await raw({ url: h.sim.distUrl, ca: h.material.ca, identity: identity(), body: env.body, headers: { 'Content-Type': env.contentType } });
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/soap+xml; charset=utf-8');
    const real = readFileSync(samplePath('real_AN_retDistDFeInt_single_138_2024_soap12.xml'), 'utf8');
    const shape = (xml: string): string =>
      xml
        .replace(/(<docZip NSU="[0-9]{15}" schema="[^"]+">[A-Za-z0-9+/=]+<\/docZip>)+/g, '<docZip NSU schema>…</docZip>')
        .replace(/>[^<…]+</g, '><');
    expect(shape(a.body)).toBe(shape(real));
    const ret = parseDistResponse(a.body);
    expect([ret.tpAmb, ret.verAplic, ret.cStat, ret.dhResp]).toEqual(['2', '1.7.8', '138', '2026-11-20T09:00:00-03:00']);
  });

  it('in SOAP 1.1 to a SOAP 1.1 request (envelope namespace and Content-Type)', async () => {
    const cnpj = branch(2);
    h.sim.addCompany(cnpj, { documents: 2 });
    const env = request(cnpj, '1.1');
    const a = await raw({
      url: h.sim.distUrl, ca: h.material.ca, identity: identity(), body: env.body,
      headers: { 'Content-Type': env.contentType, SOAPAction: env.soapAction! },
    });
    expect(a.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(a.body).toContain(`<soap:Envelope xmlns:soap="${SOAP_NAMESPACES['1.1']}"`);
    expect(a.body).not.toContain(SOAP_NAMESPACES['1.2']);
    expect(parseDistResponse(a.body).cStat).toBe('138');
    expect(h.sim.calls().at(-1)).toMatchObject({ cnpj, soap: '1.1', cStat: '138' });
  });

  it('carry a retDistDFeInt valid against retDistDFeInt_v1.01.xsd', async () => {
    const cnpj = branch(3);
    h.sim.addCompany(cnpj, { documents: 60 });
    const bodies: string[] = [];
    for (const [ult, soap] of [['000000000000000', '1.2'], ['000000000000050', '1.1']] as const) {
      const env = buildDistEnvelope({ tpAmb: '2', interested: { CNPJ: cnpj }, query: { kind: 'distNSU', ultNSU: ult } }, soap);
      bodies.push((await h.post(env.body, env.contentType, env.soapAction === undefined ? {} : { soapAction: env.soapAction })).body);
    }
    bodies.push((await h.post(request(cnpj, '1.2').body, request(cnpj, '1.2').contentType)).body); // 656
    const rets = bodies.map((b) => /<retDistDFeInt[\s\S]*<\/retDistDFeInt>/.exec(b)![0]);
    expect(rets.map((r) => /<cStat>(\d+)/.exec(r)![1])).toEqual(['138', '138', '656']);
    const errors = await validateAll('distdfe', 'retDistDFeInt_v1.01.xsd', rets);
    expect(errors).toEqual([[], [], []]);
  });

  it('to the exact requests sped-nfe (PHP) builds, pretty-printed ones included', async () => {
    const cnpj = branch(7);
    h.sim.addCompany(cnpj, { documents: 250 });
    const distSample = readFileSync(samplePath('spednfe_req_dfe_distNSU_soap12.xml'), 'utf8')
      .replace('<tpAmb>1</tpAmb>', '<tpAmb>2</tpAmb>')
      .replace('58716523000119', cnpj);
    const dist = parseDistResponse((await h.post(distSample, 'application/soap+xml;charset=utf-8;action="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe/nfeDistDFeInteresse"')).body);
    expect([dist.cStat, dist.ultNSU, dist.docs.length]).toEqual(['138', '000000000000050', 50]);
    const consBody = readFileSync(samplePath('spednfe_exemplo_xml_dist_dfe_consNSU_body.xml'), 'utf8')
      .replace('93623057000128', cnpj)
      .replace('000000000000200', '000000000000201');
    const cons = parseDistResponse(
      (await h.post(`<soap:Envelope xmlns:soap="${SOAP_NAMESPACES['1.2']}">\n  <soap:Body>\n${consBody}  </soap:Body>\n</soap:Envelope>`, 'application/soap+xml; charset=utf-8')).body,
    );
    expect([cons.cStat, cons.docs[0]?.NSU]).toEqual(['138', '000000000000201']);
  });

  it('keep the connection alive between calls', async () => {
    const cnpj = branch(4);
    h.sim.addCompany(cnpj, { documents: 120 });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const calls = [];
      for (const ult of ['000000000000000', '000000000000050']) {
        const env = buildDistEnvelope({ tpAmb: '2', interested: { CNPJ: cnpj }, query: { kind: 'distNSU', ultNSU: ult } });
        calls.push(await raw({ url: h.sim.distUrl, ca: h.material.ca, identity: identity(), agent, body: env.body, headers: { 'Content-Type': env.contentType } }));
      }
      expect(calls.map((c) => [parseDistResponse(c.body).cStat, c.reusedSocket])).toEqual([['138', false], ['138', true]]);
    } finally {
      agent.destroy();
    }
  });

  it('serve an alphanumeric CNPJ with its own certificate', async () => {
    h.sim.addCompany(ALNUM_CNPJ, { documents: 4 });
    const a = await h.ask(ALNUM_CNPJ, distNSU(0), { as: ALNUM_CNPJ });
    expect([a.cStat, a.ultNSU, a.docs.length]).toEqual(['138', '000000000000004', 4]);
    expect((await h.ask(ALNUM_CNPJ, distNSU(0))).cStat).toBe('593');
  });
});

describe('malformed requests', () => {
  it('answer 215 to a SOAP request whose distDFeInt breaks the schema', async () => {
    const cases = [
      request(branch(5), '1.2').body.replace('<CNPJ>', '<CNPJ>9'),
      request(branch(5), '1.2').body.replace('versao="1.01"', 'versao="1.00"'),
      request(branch(5), '1.2').body.replace('000000000000000', '0'),
      request(branch(5), '1.2').body.replace('<distNSU>', '<consNSU><NSU>000000000000001</NSU></consNSU><distNSU>'),
      request(branch(5), '1.2').body.replace(/<distDFeInt[\s\S]*<\/distDFeInt>/, ''),
    ];
    for (const body of cases) {
      const a = await h.post(body, 'application/soap+xml; charset=utf-8');
      const ret = parseDistResponse(a.body);
      expect([ret.cStat, ret.xMotivo], body).toEqual(['215', 'Rejeicao: Falha no schema XML']);
    }
    expect(h.sim.calls().slice(-cases.length).every((c) => c.rule === 'schema' && c.cStat === '215')).toBe(true);
  });

  it('get a SOAP Fault (HTTP 500) for a body that is not SOAP, in the version asked', async () => {
    for (const [contentType, ns] of [['application/soap+xml', SOAP_NAMESPACES['1.2']], ['text/xml', SOAP_NAMESPACES['1.1']]] as const) {
      const a = await raw({ url: h.sim.distUrl, ca: h.material.ca, identity: identity(), body: 'hello, SEFAZ', headers: { 'Content-Type': contentType } });
      expect(a.status).toBe(500);
      expect(a.body).toContain(`xmlns:soap="${ns}"`);
      expect(parseSoapFault(a.body)?.reason).toMatch(/unable to read request/);
    }
  });

  it('get 404 elsewhere and 405 for a GET of the service; ?wsdl gives the WSDL pointing here', async () => {
    expect((await raw({ url: `${h.sim.url}/other`, ca: h.material.ca, identity: identity() })).status).toBe(404);
    expect((await raw({ url: h.sim.distUrl, ca: h.material.ca, identity: identity() })).status).toBe(405);
    const wsdl = await raw({ url: `${h.sim.distUrl}?wsdl`, ca: h.material.ca, identity: identity() });
    expect(wsdl.status).toBe(200);
    expect(wsdl.body).toContain(`location="${h.sim.url}${DIST_PATH}"`);
    expect(wsdl.body).not.toContain('fazenda.gov.br/NFeDistribuicaoDFe');
  });
});

describe('mutual TLS', () => {
  it('refuses the handshake without a client certificate, and logs no call', async () => {
    const before = h.sim.calls().length;
    const env = request(branch(6), '1.2');
    await expect(raw({ url: h.sim.distUrl, ca: h.material.ca, body: env.body, headers: { 'Content-Type': env.contentType } })).rejects.toThrow(
      /certificate|socket hang up|ECONNRESET/i,
    );
    expect(h.sim.calls().length).toBe(before);
  });

  it('refuses a client certificate from another CA', async () => {
    const stranger = makeClientIdentity(makeTestCA(), CERT_CNPJ, 'OUTRA AC');
    const env = request(branch(6), '1.2');
    await expect(
      raw({ url: h.sim.distUrl, ca: h.material.ca, identity: stranger, body: env.body, headers: { 'Content-Type': env.contentType } }),
    ).rejects.toThrow(/unknown ca|certificate|socket hang up|ECONNRESET/i);
  });
});
