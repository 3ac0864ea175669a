import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeDocZip } from '../../src/sefaz/docZip.js';
import { ResponseParseError, SoapFaultError } from '../../src/sefaz/errors.js';
import { parseDistResponse, parseSoapFault } from '../../src/sefaz/response.js';
import type { DistResult, DocKind } from '../../src/sefaz/types.js';
import { samplePath } from '../helpers/reference.js';
import { procEventoXml, resNFeXml, retDistDFeInt } from './retDist.js';

const KEY = '41241275104406000547550010001618511133300785';

interface ExpectedDoc {
  NSU: string | null;
  schema: string;
  kind: DocKind;
  chNFe: string;
  /** The decoded document in samples/docZip/. */
  file: string;
}
interface ExpectedSample {
  cStat: string;
  xMotivo: string;
  tpAmb: string;
  verAplic: string;
  dhResp: string;
  ultNSU: string | null;
  maxNSU: string | null;
  docs: ExpectedDoc[];
}

// Every retDistDFeInt in test/fixtures/samples, read by hand from the files.
const SAMPLES: Record<string, ExpectedSample> = {
  'nfelib_test_client_dfe_retDistDFeInt_138_soap11.xml': {
    cStat: '138', xMotivo: 'Documento(s) localizado(s)', tpAmb: '1', verAplic: '1.4.0', dhResp: '2022-04-04T11:54:49-03:00',
    ultNSU: '000000000000201', maxNSU: '000000000000201',
    docs: [
      { NSU: '000000000000200', schema: 'resNFe_v1.00.xsd', kind: 'resNFe', chNFe: '31201010588201000105550010038421171838422178',
        file: 'nfelib_test_client_dfe_NSU000000000000200_resNFe_v1.00.xml' },
      { NSU: '000000000000201', schema: 'procNFe_v4.00.xsd', kind: 'procNFe', chNFe: '35200159594315000157550010000000012062777161',
        file: 'nfelib_test_client_dfe_NSU000000000000201_procNFe_v4.00.xml' },
    ],
  },
  'oca_l10nbr_test_dfe_retDistDFeInt_137_soap11.xml': {
    cStat: '137', xMotivo: 'Nenhum documento localizado para o Contribuinte', tpAmb: '1', verAplic: '1.4.0',
    dhResp: '2022-04-04T11:54:49-03:00', ultNSU: '000000000000200', maxNSU: '000000000000200', docs: [],
  },
  'oca_l10nbr_test_dfe_retDistDFeInt_589_soap11.xml': {
    cStat: '589', xMotivo: 'Rejeicao: Numero do NSU informado superior ao maior NSU da base de dados doAmbiente Nacional',
    tpAmb: '2', verAplic: '1.4.0', dhResp: '2022-04-04T11:54:49-03:00', ultNSU: '000000000000000', maxNSU: '000000000000000', docs: [],
  },
  'oca_l10nbr_test_dfe_retDistDFeInt_656_soap11.xml': {
    cStat: '656', xMotivo: 'Consumo Indevido', tpAmb: '1', verAplic: '1.4.0', dhResp: '2022-04-04T11:54:49-03:00',
    ultNSU: '000000000000300', maxNSU: '000000000000300', docs: [],
  },
  'real_AN_retDistDFeInt_consChNFe_138_2022_noNSU.xml': {
    cStat: '138', xMotivo: 'Documento localizado', tpAmb: '1', verAplic: '1.5.11', dhResp: '2022-07-13T11:30:27-03:00',
    ultNSU: null, maxNSU: null,
    docs: [{ NSU: '000000000001561', schema: 'resNFe_v1.01.xsd', kind: 'resNFe', chNFe: '41220789237911020923550000000396121385908697',
      file: 'real_AN_consChNFe_2022_resNFe_v1.01.xml' }],
  },
  'real_AN_retDistDFeInt_consChNFe_138_2026_noNSU.xml': {
    cStat: '138', xMotivo: 'Documento localizado', tpAmb: '1', verAplic: '1.7.8', dhResp: '2026-07-28T19:22:01-03:00',
    ultNSU: null, maxNSU: null,
    docs: [{ NSU: null, schema: 'resNFe_v1.01.xsd', kind: 'resNFe', chNFe: '35260567647412000199550020004829291638420304',
      file: 'real_AN_consChNFe_2026_resNFe_v1.01.xml' }],
  },
  'real_AN_retDistDFeInt_distNSU_138_2026_soap12_TRUNCATED.xml': {
    cStat: '138', xMotivo: 'Documento(s) localizado(s)', tpAmb: '1', verAplic: '1.7.6', dhResp: '2026-01-26T23:59:59-03:00',
    ultNSU: '000000000487402', maxNSU: '000000000487402',
    docs: [
      { NSU: '000000000487383', schema: 'resEvento_v1.01.xsd', kind: 'resEvento', chNFe: '35260108357463000117550010002180881042545796',
        file: 'real_AN_distNSU_2026_NSU487383_resEvento_v1.01.xml' },
      { NSU: '000000000487384', schema: 'resEvento_v1.01.xsd', kind: 'resEvento', chNFe: '35260108357463000117550010002181561073010373',
        file: 'real_AN_distNSU_2026_NSU487384_resEvento_v1.01.xml' },
    ],
  },
  'real_AN_retDistDFeInt_single_138_2024_soap12.xml': {
    cStat: '138', xMotivo: 'Documento localizado', tpAmb: '1', verAplic: '1.7.2', dhResp: '2024-12-30T16:49:51-03:00',
    ultNSU: '000000000243874', maxNSU: '000000000243931',
    docs: [{ NSU: '000000000243874', schema: 'resNFe_v1.01.xsd', kind: 'resNFe', chNFe: KEY,
      file: 'real_AN_single_2024_resNFe_v1.01.xml' }],
  },
};

const sample = (name: string) => readFileSync(samplePath(name));

describe('the reference samples', () => {
  it('the table above covers every retDistDFeInt in samples/', () => {
    const withRet = readdirSync(samplePath())
      .filter((f) => f.endsWith('.xml') && sample(f).toString('utf8').includes('<retDistDFeInt'));
    expect(withRet.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  for (const [name, want] of Object.entries(SAMPLES)) {
    it(`parses ${name}`, () => {
      const got = parseDistResponse(sample(name));
      const { docs, ...head } = got;
      const { docs: wantDocs, ...wantHead } = want;
      expect(head).toEqual(wantHead);
      expect(docs.map((d) => ({ NSU: d.NSU, schema: d.schema, kind: d.kind, chNFe: d.chNFe, decodeError: d.decodeError }))).toEqual(
        wantDocs.map((d) => ({ NSU: d.NSU, schema: d.schema, kind: d.kind, chNFe: d.chNFe, decodeError: null })),
      );
      docs.forEach((d, i) => {
        const file = readFileSync(samplePath('docZip', wantDocs[i]!.file));
        expect(d.xml?.equals(file)).toBe(true);
        // The raw bytes are the gzip SEFAZ sent, magic number and all.
        expect(d.gzip.subarray(0, 2).toString('hex')).toBe('1f8b');
      });
    });
  }

  it('the same sample parses the same from a string and from a Buffer', () => {
    const name = 'real_AN_retDistDFeInt_single_138_2024_soap12.xml';
    expect(parseDistResponse(sample(name).toString('utf8'))).toEqual(parseDistResponse(sample(name)));
  });

  it('reads the summaries a store needs without opening the XML', () => {
    const single = parseDistResponse(sample('real_AN_retDistDFeInt_single_138_2024_soap12.xml')).docs[0]!;
    expect(single.meta).toEqual({
      emitterCNPJ: '75104406000547', emitterName: 'A BITENCOURT COMERCIO DE FERRAGENS LTDA - CD',
      dhEmi: '2024-12-28T10:05:49-03:00', vNF: '690.25', cSitNFe: '1', tpNF: '1', nProt: '141240401263049',
    });
    const event = parseDistResponse(sample('real_AN_retDistDFeInt_distNSU_138_2026_soap12_TRUNCATED.xml')).docs[1]!;
    expect(event.meta).toEqual({
      emitterCNPJ: '33683111000107', tpEvento: '610600', xEvento: 'Registro de Autorização de CT-e para a NF-e',
      nSeqEvento: '1', dhEvento: '2026-01-26T22:14:05-03:00', nProt: '891261208440443',
    });
    const proc = parseDistResponse(sample('nfelib_test_client_dfe_retDistDFeInt_138_soap11.xml')).docs[1]!;
    expect(proc.meta).toEqual({
      emitterCNPJ: '59594315000157', emitterName: 'TESTE - Simples Nacional', dhEmi: '2020-01-01T12:00:00+01:00',
      tpNF: '1', vNF: '14.00', nProt: '135221822542085',
    });
  });

  it('reads a real signed procNFe (pretty-printed, with declaration) sent as a docZip', () => {
    const file = sample('docZip/nfelib_sample_procNFe_v4.00_PR_2017.xml');
    const doc = parseDistResponse(retDistDFeInt({
      cStat: '138', ultNSU: '5', maxNSU: '5', docs: [{ NSU: '5', schema: 'procNFe_v4.00.xsd', xml: file }],
    })).docs[0]!;
    expect(doc.xml?.equals(file)).toBe(true);
    expect(doc.kind).toBe('procNFe');
    expect(doc.chNFe).toBe('41170706117473000150550010000463202612756525');
    expect(doc.meta).toMatchObject({
      emitterCNPJ: '06117473000150', emitterName: 'UNIMAKE SOLUCOES CORPORATIVAS LTDA', vNF: '84.90', nProt: '141170000487910',
    });
  });

  it('answers that are not a retDistDFeInt are refused, not half-read', () => {
    for (const name of ['nfelib_test_mde_client_retEnvEvento_210210_soap11_mock.xml', 'spednfe_req_dfe_distNSU_soap12.xml']) {
      expect(() => parseDistResponse(sample(name))).toThrow(ResponseParseError);
    }
  });

  it('a truncated envelope never parses: every proper prefix of a real answer throws ResponseParseError', () => {
    const full = sample('real_AN_retDistDFeInt_distNSU_138_2026_soap12_TRUNCATED.xml').toString('utf8').trimEnd();
    for (let cut = 0; cut < full.length; cut++) {
      let error: unknown;
      try {
        parseDistResponse(full.slice(0, cut));
      } catch (err) {
        error = err;
      }
      if (!(error instanceof ResponseParseError)) throw new Error(`prefix of ${cut} characters did not throw ResponseParseError`);
      expect(error.code).toBe('UNPARSABLE_RESPONSE');
    }
  });
});

describe('parseDistResponse keeps the values fast-xml-parser would corrupt', () => {
  it('leading zeros, the 44-digit key, a lone docZip as a list, attributes', () => {
    const body = retDistDFeInt({
      cStat: '138', ultNSU: '000000000000001', maxNSU: '000000000000009',
      docs: [{ NSU: '000000000000001', schema: 'resNFe_v1.01.xsd', xml: resNFeXml({ chNFe: KEY, vNF: '100.10' }) }],
    });
    const got = parseDistResponse(body);
    expect(got.ultNSU).toBe('000000000000001');
    expect(got.maxNSU).toBe('000000000000009');
    expect(got.docs).toHaveLength(1);
    expect(got.docs[0]!.NSU).toBe('000000000000001');
    expect(got.docs[0]!.schema).toBe('resNFe_v1.01.xsd');
    expect(got.docs[0]!.chNFe).toBe(KEY);
    expect(got.docs[0]!.meta.vNF).toBe('100.10');
    expect(got.docs[0]!.meta.emitterCNPJ).toBe('75104406000547');
  });

  it('short NSUs are padded to 15 digits; absent ones stay null', () => {
    const got = parseDistResponse(retDistDFeInt({ cStat: '138', ultNSU: '201', maxNSU: '0000201',
      docs: [{ NSU: '7', schema: 'resNFe_v1.01.xsd', xml: resNFeXml({ chNFe: KEY }) }, { schema: 'resNFe_v1.01.xsd', xml: resNFeXml({ chNFe: KEY }) }] }));
    expect([got.ultNSU, got.maxNSU]).toEqual(['000000000000201', '000000000000201']);
    expect(got.docs.map((d) => d.NSU)).toEqual(['000000000000007', null]);
  });

  it('reads SOAP 1.2, SOAP 1.1 and bare answers alike', () => {
    const spec = { cStat: '138', ultNSU: '3', maxNSU: '4', docs: [{ NSU: '3', schema: 'resNFe_v1.01.xsd', xml: resNFeXml({ chNFe: KEY }) }] };
    const results: DistResult[] = (['soap12', 'soap11', 'bare'] as const).map((w) => parseDistResponse(retDistDFeInt(spec, w)));
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('a 656 carries SEFAZ\'s ultNSU (the actor\'s last) and maxNSU zero', () => {
    const got = parseDistResponse(retDistDFeInt({ cStat: '656', xMotivo: 'Rejeicao: Consumo Indevido', ultNSU: '000000000000451', maxNSU: '000000000000000' }));
    expect(got).toMatchObject({ cStat: '656', ultNSU: '000000000000451', maxNSU: '000000000000000', docs: [] });
  });
});

describe('documents of every kind', () => {
  const CNPJ = '33683111000107';
  it('procEventoNFe: key and event facts from evento/infEvento and retEvento', () => {
    const doc = parseDistResponse(retDistDFeInt({ cStat: '138', ultNSU: '9', maxNSU: '9',
      docs: [{ NSU: '9', schema: 'procEventoNFe_v1.00.xsd', xml: procEventoXml({ chNFe: KEY, CNPJ }) }] })).docs[0]!;
    expect(doc.kind).toBe('procEventoNFe');
    expect(doc.chNFe).toBe(KEY);
    expect(doc.meta).toEqual({
      emitterCNPJ: CNPJ, tpEvento: '210200', xEvento: 'Confirmacao da Operacao', nSeqEvento: '1',
      dhEvento: '2026-01-20T10:00:00-03:00', nProt: '891260000000001',
    });
  });

  it('an unknown schema, or a root that contradicts the schema, is `unknown` and kept as is', () => {
    const cte = '<resCTe xmlns="http://www.portalfiscal.inf.br/cte"><chCTe>1</chCTe></resCTe>';
    const got = parseDistResponse(retDistDFeInt({ cStat: '138', ultNSU: '2', maxNSU: '2', docs: [
      { NSU: '1', schema: 'resCTe_v1.00.xsd', xml: cte },
      { NSU: '2', schema: 'resNFe_v1.01.xsd', xml: procEventoXml({ chNFe: KEY, CNPJ }) },
    ] }));
    for (const d of got.docs) {
      expect(d.kind).toBe('unknown');
      expect(d.decodeError).toBeNull();
      expect(d.chNFe).toBeNull();
      expect(d.meta).toEqual({});
    }
    expect(got.docs[0]!.xml?.toString('utf8')).toBe(cte);
    expect(got.docs[0]!.schema).toBe('resCTe_v1.00.xsd');
  });
});

describe('a docZip that cannot be decoded is flagged, and the batch goes on (invariant 4)', () => {
  const good = (nsu: string) => ({ NSU: nsu, schema: 'resNFe_v1.01.xsd', xml: resNFeXml({ chNFe: KEY }) });
  const truncatedDocZip = encodeDocZip(resNFeXml({ chNFe: KEY })).slice(0, 120); // a multiple of 4: valid base64, cut gzip

  const batch = parseDistResponse(retDistDFeInt({ cStat: '138', ultNSU: '7', maxNSU: '9', docs: [
    good('1'),
    { NSU: '2', schema: 'resNFe_v1.01.xsd', raw: '@@ not base64 @@' },
    { NSU: '3', schema: 'resNFe_v1.01.xsd', raw: Buffer.from('plain bytes, no gzip').toString('base64') },
    { NSU: '4', schema: 'resNFe_v1.01.xsd', xml: 'this is not XML <' },
    { NSU: '5', schema: 'resNFe_v1.01.xsd', raw: truncatedDocZip },
    { NSU: '6', schema: 'resNFe_v1.01.xsd', raw: '' },
    good('7'),
  ] }));

  it('the good documents of the batch are all there', () => {
    expect(batch.docs.map((d) => d.NSU)).toEqual(['1', '2', '3', '4', '5', '6', '7'].map((n) => n.padStart(15, '0')));
    for (const i of [0, 6]) {
      expect(batch.docs[i]!.decodeError).toBeNull();
      expect(batch.docs[i]!.kind).toBe('resNFe');
      expect(batch.docs[i]!.xml?.toString('utf8')).toBe(resNFeXml({ chNFe: KEY }));
    }
    expect(batch.ultNSU).toBe('000000000000007');
  });

  it('each bad one is kept with its NSU, its raw bytes and the reason', () => {
    const [, notBase64, notGzip, notXml, truncated, empty] = batch.docs;
    for (const d of [notBase64, notGzip, notXml, truncated, empty]) {
      expect(d!.xml).toBeNull();
      expect(d!.kind).toBe('unknown');
      expect(d!.schema).toBe('resNFe_v1.01.xsd');
    }
    expect(notBase64!.decodeError).toMatch(/not valid base64/);
    expect(notBase64!.gzip.toString('utf8')).toBe('@@ not base64 @@');
    expect(notGzip!.decodeError).toMatch(/does not gunzip/);
    expect(notGzip!.gzip.toString('utf8')).toBe('plain bytes, no gzip');
    expect(notXml!.decodeError).toMatch(/not XML/);
    expect(notXml!.gzip.equals(Buffer.from(encodeDocZip('this is not XML <'), 'base64'))).toBe(true);
    expect(truncated!.decodeError).toMatch(/does not gunzip.*unexpected end of file/);
    expect(truncated!.gzip.equals(Buffer.from(truncatedDocZip, 'base64'))).toBe(true);
    expect(empty!.decodeError).toMatch(/does not gunzip/);
  });

  it('a docZip with a malformed NSU attribute is kept, its NSU null and the problem said', () => {
    const bad = parseDistResponse(retDistDFeInt({ cStat: '138', ultNSU: '1', maxNSU: '1', docs: [{ ...good('1'), NSU: 'x1' }] })).docs[0]!;
    expect(bad.NSU).toBeNull();
    expect(bad.decodeError).toMatch(/NSU attribute "x1"/);
    expect(bad.kind).toBe('resNFe');
    expect(bad.xml).not.toBeNull();
  });
});

describe('answers that cannot be understood', () => {
  it('throw ResponseParseError, never a half-filled result', () => {
    const cases = [
      '',
      'Service Unavailable',
      '<html><body>502 Bad Gateway</body>',
      '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>',
      retDistDFeInt({ cStat: '13', ultNSU: '1', maxNSU: '1' }),
      retDistDFeInt({ cStat: '', ultNSU: '1', maxNSU: '1' }),
      retDistDFeInt({ cStat: '138', ultNSU: 'abc', maxNSU: '1' }),
      retDistDFeInt({ cStat: '138', ultNSU: '1', maxNSU: '1234567890123456' }),
    ];
    for (const body of cases) expect(() => parseDistResponse(body), body).toThrow(ResponseParseError);
  });

  it('a SOAP 1.2 Fault is a SoapFaultError with its code and reason', () => {
    const fault =
      '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault>' +
      '<soap:Code><soap:Value>soap:Receiver</soap:Value><soap:Subcode><soap:Value>a:InternalError</soap:Value></soap:Subcode></soap:Code>' +
      '<soap:Reason><soap:Text xml:lang="pt-BR">Server was unable to process request. ---&gt; Object reference not set</soap:Text></soap:Reason>' +
      '<soap:Detail/></soap:Fault></soap:Body></soap:Envelope>';
    expect(parseSoapFault(fault)).toEqual({
      code: 'soap:Receiver / a:InternalError', reason: 'Server was unable to process request. ---> Object reference not set',
    });
    try {
      parseDistResponse(Buffer.from(fault));
      throw new Error('expected a SoapFaultError');
    } catch (err) {
      expect(err).toBeInstanceOf(SoapFaultError);
      expect(err).toMatchObject({ code: 'SOAP_FAULT', faultCode: 'soap:Receiver / a:InternalError' });
      expect((err as Error).message).toContain('Object reference not set');
    }
  });

  it('a SOAP 1.1 Fault too', () => {
    const fault =
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
      '<faultcode>soap:Client</faultcode><faultstring>Unable to handle request without a valid action parameter.</faultstring>' +
      '<detail/></soap:Fault></soap:Body></soap:Envelope>';
    expect(parseSoapFault(fault)).toEqual({ code: 'soap:Client', reason: 'Unable to handle request without a valid action parameter.' });
    expect(() => parseDistResponse(fault)).toThrow(SoapFaultError);
  });

  it('parseSoapFault is null for anything that is not a Fault', () => {
    expect(parseSoapFault('not xml')).toBeNull();
    expect(parseSoapFault(retDistDFeInt({ cStat: '137', ultNSU: '1', maxNSU: '1' }))).toBeNull();
  });
});
