/**
 * Compatibility: a SEFAZ client built on the `soap` npm library with the official WSDL
 * syncs from the simulator with only the endpoint URL changed, in SOAP 1.2 and 1.1.
 */
import https from 'node:https';
import { join } from 'node:path';
import * as soap from 'soap';
import { describe, expect, it } from 'vitest';
import { buildDistDFeInt } from '../../src/sefaz/request.js';
import { parseDistResponse } from '../../src/sefaz/response.js';
import { projectRoot } from '../helpers/reference.js';
import { CERT_CNPJ, HOUR, branch, useHarness } from './harness.js';

const wsdl = join(projectRoot, 'schemas', 'NFeDistribuicaoDFe.wsdl');

const h = useHarness();

type DistMethod = (args: unknown, options?: unknown) => Promise<[unknown, string, unknown, string]>;

describe('the soap npm library', () => {
  it.each([
    ['1.2', true, 1],
    ['1.1', false, 2],
  ] as const)('syncs a CNPJ in SOAP %s with only the endpoint changed', async (version, soap12, n) => {
    const cnpj = branch(n);
    h.sim.addCompany(cnpj, { documents: 130 });
    const id = h.material.identities.get(CERT_CNPJ)!;
    // One shared agent: the library otherwise opens a TLS connection per call.
    const agent = new https.Agent({ keepAlive: true, key: id.keyPem, cert: id.certPem, ca: h.material.ca });
    try {
      const client = await soap.createClientAsync(wsdl, { endpoint: h.sim.distUrl, forceSoap12Headers: soap12 });
      const call = (client as unknown as { nfeDistDFeInteresseAsync: DistMethod }).nfeDistDFeInteresseAsync;
      const seen: string[] = [];
      let ultNSU = '000000000000000';
      for (let i = 0; i < 10; i++) {
        const distDFeInt = buildDistDFeInt({ tpAmb: '2', cUFAutor: '35', interested: { CNPJ: cnpj }, query: { kind: 'distNSU', ultNSU } });
        // $xml inlines the message unescaped; the raw answer keeps every value a string.
        const [, rawResponse] = await call.call(client, { nfeDadosMsg: { $xml: distDFeInt } }, { httpsAgent: agent });
        const ret = parseDistResponse(rawResponse);
        expect(['138', '137']).toContain(ret.cStat);
        seen.push(...ret.docs.map((d) => d.NSU!));
        ultNSU = ret.ultNSU!;
        if (ret.ultNSU === ret.maxNSU) break;
      }
      expect(seen).toEqual(Array.from({ length: 130 }, (_, i) => String(i + 1).padStart(15, '0')));
      const calls = h.sim.calls().filter((c) => c.cnpj === cnpj);
      expect(calls.map((c) => [c.soap, c.cStat])).toEqual([[version, '138'], [version, '138'], [version, '138']]);
      expect(h.sim.violations().filter((v) => v.cnpj === cnpj)).toEqual([]);
      h.clock.advance(HOUR);
    } finally {
      agent.destroy();
    }
  });
});
