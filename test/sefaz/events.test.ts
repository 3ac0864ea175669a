import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateXML } from 'xmllint-wasm';
import { decodePfx } from '../../src/cert/pkcs12.js';
import { signEnvEvento } from '../../src/cert/sign.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import {
  AN_ORGAO, buildEnvEvento, EVENT_TYPES, EVENT_VERSION, eventCodeOf, eventId, formatDhEvento,
  MAX_EVENTS_PER_BATCH, newIdLote, type EventCode, type EventInput,
} from '../../src/sefaz/events.js';
import { buildAccessKey, cnpjCheckDigits, isValidCnpj, isValidCpf } from '../../src/sefaz/identifiers.js';
import { NFE_NAMESPACE } from '../../src/sefaz/request.js';
import { parseXml } from '../../src/sefaz/xml.js';
import { samplePath, sefazSchemaPath } from '../helpers/reference.js';
import { BadRequestError } from '../../src/sefaz/errors.js';
import { thrown } from '../helpers/thrown.js';

const badRequest = (fn: () => unknown): BadRequestError => thrown(BadRequestError, fn);

const CNPJ = '58716523000119';
const CPF = '11144477735';
const KEY = '41241275104406000547550010001618511133300785';
const KEY2 = buildAccessKey({ cUF: '35', AAMM: '2603', CNPJ: '05730928000145', mod: '55', serie: '1', nNF: '142', tpEmis: '1', cNF: '07140047' });
const DH = '2026-03-02T09:15:00-03:00';
const CODES = Object.keys(EVENT_TYPES) as EventCode[];
const JUST = 'Mercadoria devolvida ao transportador';

function ev(over: Partial<EventInput> = {}): EventInput {
  return { tpAmb: '1', author: { CNPJ }, chNFe: KEY, tpEvento: '210210', dhEvento: DH, ...over };
}

describe('EVENT_TYPES', () => {
  it('spells descEvento as the schema enumerates it and maps names both ways', () => {
    expect(EVENT_TYPES['210200'].descEvento).toBe('Confirmacao da Operacao');
    expect(EVENT_TYPES['210210'].descEvento).toBe('Ciencia da Operacao');
    expect(EVENT_TYPES['210220'].descEvento).toBe('Desconhecimento da Operacao');
    expect(EVENT_TYPES['210240'].descEvento).toBe('Operacao nao Realizada');
    for (const code of CODES) expect(eventCodeOf(EVENT_TYPES[code].name)).toBe(code);
    expect(CODES.map((c) => EVENT_TYPES[c].name).sort()).toEqual(['ciencia', 'confirmacao', 'desconhecimento', 'nao-realizada']);
    expect(badRequest(() => eventCodeOf('cancelamento' as 'ciencia')).message).toMatch(/ciencia, .*nao-realizada|confirmacao/);
  });
});

describe('buildEnvEvento', () => {
  it('writes a Ciência exactly as sped-nfe does (same bytes but for the key)', () => {
    const fixture = readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8');
    const fixtureKey = '35240305730928000145650010000001421071400478';
    // the fixture's key has a wrong check digit; ours differs only there
    const key = fixtureKey.slice(0, 43) + buildAccessKey({
      cUF: '35', AAMM: '2403', CNPJ: '05730928000145', mod: '65', serie: '1', nNF: '142', tpEmis: '1', cNF: '07140047',
    }).slice(43);
    const unsignedFixture = fixture
      .trim().replace(/^<nfeDadosMsg[^>]*>/, '').replace(/<\/nfeDadosMsg>$/, '')
      .replace(/<Signature[\s\S]*?<\/Signature>/, '')
      .replaceAll(fixtureKey, key);
    const built = buildEnvEvento({
      idLote: '123',
      events: [{ tpAmb: '2', author: { CNPJ: '93623057000128' }, chNFe: key, tpEvento: '210210', dhEvento: '2024-02-01T14:07:05-03:00' }],
    });
    expect(built).toBe(unsignedFixture);
  });

  it('builds the Id from tpEvento, chNFe and a 2-digit nSeqEvento, sent unpadded in its element', () => {
    const xml = buildEnvEvento({ idLote: '1', events: [ev({ nSeqEvento: 3 }), ev({ tpEvento: '210200', nSeqEvento: 12 })] });
    expect(xml).toContain(`<infEvento Id="ID210210${KEY}03">`);
    expect(xml).toContain(`<infEvento Id="ID210200${KEY}12">`);
    expect(xml).toContain('<nSeqEvento>3</nSeqEvento>');
    expect(xml).toContain('<nSeqEvento>12</nSeqEvento>');
    expect(eventId('210240', KEY, 1)).toBe(`ID210240${KEY}01`);
    expect(buildEnvEvento({ idLote: '1', events: [ev()] })).toContain(`Id="ID210210${KEY}01"><cOrgao>91</cOrgao>`);
  });

  it('keeps the schema order, cOrgao 91, verEvento and detEvento versao 1.00, for CNPJ and CPF authors', () => {
    const xml = buildEnvEvento({
      idLote: '000000000000042',
      events: [ev(), ev({ tpAmb: '1', author: { CPF }, chNFe: KEY2, tpEvento: '210240', xJust: JUST })],
    });
    const doc = parseXml(xml) as { envEvento: { '@_versao': string; idLote: string; evento: Record<string, unknown>[] } };
    expect(doc.envEvento['@_versao']).toBe(EVENT_VERSION);
    expect(doc.envEvento.idLote).toBe('000000000000042');
    expect(doc.envEvento.evento).toHaveLength(2);
    const inf = doc.envEvento.evento.map((e) => e['infEvento'] as Record<string, unknown>);
    expect(Object.keys(inf[0]!)).toEqual(['cOrgao', 'tpAmb', 'CNPJ', 'chNFe', 'dhEvento', 'tpEvento', 'nSeqEvento', 'verEvento', 'detEvento', '@_Id']);
    expect(Object.keys(inf[1]!)).toEqual(['cOrgao', 'tpAmb', 'CPF', 'chNFe', 'dhEvento', 'tpEvento', 'nSeqEvento', 'verEvento', 'detEvento', '@_Id']);
    expect(inf[0]!['cOrgao']).toBe(AN_ORGAO);
    expect(inf[1]!['CPF']).toBe(CPF);
    expect(inf[1]!['verEvento']).toBe('1.00');
    expect(inf[1]!['detEvento']).toEqual({ '@_versao': '1.00', descEvento: 'Operacao nao Realizada', xJust: JUST });
    expect(inf[0]!['detEvento']).toEqual({ '@_versao': '1.00', descEvento: 'Ciencia da Operacao' });
    expect(xml).not.toMatch(/>\s+</);
    expect(xml.startsWith(`<envEvento xmlns="${NFE_NAMESPACE}" versao="1.00"><idLote>`)).toBe(true);
  });

  it('escapes the justification and keeps Latin-1 letters', () => {
    const xJust = 'Não recebida: "caixa" <12> & \'avariada\'';
    const xml = buildEnvEvento({ idLote: '1', events: [ev({ tpEvento: '210220', xJust })] });
    expect(xml).toContain('<xJust>Não recebida: &quot;caixa&quot; &lt;12&gt; &amp; &apos;avariada&apos;</xJust>');
    const doc = parseXml(xml) as { envEvento: { evento: { infEvento: { detEvento: { xJust: string } } }[] } };
    expect(doc.envEvento.evento[0]!.infEvento.detEvento.xJust).toBe(xJust);
  });

  it('takes xJust only where the event schema does', () => {
    expect(badRequest(() => buildEnvEvento({ idLote: '1', events: [ev({ tpEvento: '210240' })] })).message).toMatch(/needs a justification/);
    expect(buildEnvEvento({ idLote: '1', events: [ev({ tpEvento: '210220' })] })).not.toContain('xJust');
    for (const tpEvento of ['210200', '210210'] as const) {
      expect(badRequest(() => buildEnvEvento({ idLote: '1', events: [ev({ tpEvento, xJust: JUST })] })).message).toMatch(/takes no justification/);
    }
    const just = (xJust: string) => () => buildEnvEvento({ idLote: '1', events: [ev({ tpEvento: '210240', xJust })] });
    expect(badRequest(just('x'.repeat(14))).message).toMatch(/15 to 255 characters, not 14/);
    expect(badRequest(just('x'.repeat(256))).message).toMatch(/not 256/);
    expect(just('x'.repeat(15))).not.toThrow();
    expect(just('ç'.repeat(255))).not.toThrow();
    expect(badRequest(just(` ${JUST}`)).message).toMatch(/start or end with a space/);
    expect(badRequest(just(`${JUST} `)).message).toMatch(/start or end with a space/);
    expect(badRequest(just(`${JUST}\nsegunda linha`)).message).toMatch(/"\\n" \(U\+000A\)/);
    expect(badRequest(just(`${JUST} — sem nota`)).message).toMatch(/U\+2014/);
    expect(badRequest(just(`${JUST} 📦`)).message).toMatch(/U\+1F4E6/);
    expect(badRequest(just(`${JUST}\u0085x`)).message).toMatch(/U\+0085/);
    expect(badRequest(just(`${JUST}\u007fx`)).message).toMatch(/U\+007F/);
  });

  it('refuses each malformed field with BAD_REQUEST and says which', () => {
    const one = (over: Partial<EventInput>) => () => buildEnvEvento({ idLote: '1', events: [ev(over)] });
    const cases: [() => unknown, RegExp][] = [
      [() => buildEnvEvento({ idLote: 'ba5dc7cacc9643b', events: [ev()] }), /idLote "ba5dc7cacc9643b"/],
      [() => buildEnvEvento({ idLote: '1234567890123456', events: [ev()] }), /idLote/],
      [() => buildEnvEvento({ idLote: '', events: [ev()] }), /idLote/],
      [() => buildEnvEvento({ idLote: '1', events: [] }), /1 to 20 events, not 0/],
      [() => buildEnvEvento({ idLote: '1', events: Array.from({ length: 21 }, (_, i) => ev({ nSeqEvento: i + 1 })) }), /not 21/],
      [() => buildEnvEvento({ idLote: '1', events: [ev(), ev()] }), /event 2 of 2 repeats ID210210/],
      [() => buildEnvEvento({ idLote: '1', events: [ev(), ev({ tpAmb: '2', tpEvento: '210200' })] }), /one environment per batch/],
      [one({ tpAmb: '3' as '1' }), /tpAmb/],
      [one({ author: { CNPJ: '58716523000118' } }), /author CNPJ .*check digits/],
      [one({ author: { CPF: '11144477734' } }), /author CPF "11144477734"/],
      [one({ author: {} as { CPF: string } }), /author must be/],
      [one({ chNFe: KEY.slice(0, 43) + '0' }), /chNFe/],
      [one({ chNFe: KEY.slice(1) }), /chNFe/],
      [one({ tpEvento: '110111' as EventCode }), /tpEvento "110111" is not a recipient's event/],
      [one({ nSeqEvento: 0 }), /nSeqEvento/],
      [one({ nSeqEvento: 100 }), /nSeqEvento/],
      [one({ nSeqEvento: 1.5 }), /nSeqEvento/],
      [one({ dhEvento: '2026-03-02T09:15:00' }), /dhEvento/],
      [one({ dhEvento: '2026-03-02T09:15:00Z' }), /dhEvento/],
      [one({ dhEvento: '2026-03-02T09:15:00-03:30' }), /dhEvento/],
      [one({ dhEvento: '2026-03-02T09:15:00.000-03:00' }), /dhEvento/],
      [one({ dhEvento: '2026-02-30T09:15:00-03:00' }), /dhEvento/],
    ];
    for (const [fn, pattern] of cases) {
      const err = badRequest(fn);
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.message).toMatch(pattern);
    }
    expect(one({ dhEvento: '2028-02-29T23:59:59+12:00' })).not.toThrow();
  });

  it('accepts up to 20 events, and alphanumeric CNPJs in the author and the key', () => {
    const twenty = Array.from({ length: MAX_EVENTS_PER_BATCH }, (_, i) => ev({ nSeqEvento: i + 1 }));
    expect(buildEnvEvento({ idLote: '1', events: twenty }).match(/<evento /g)).toHaveLength(20);
    const alnum = `12ABC34501DE`;
    const cnpj = alnum + cnpjCheckDigits(alnum);
    const key = buildAccessKey({ cUF: '35', AAMM: '2608', CNPJ: cnpj, mod: '55', serie: '1', nNF: '42', tpEmis: '1', cNF: '12345678' });
    const xml = buildEnvEvento({ idLote: '1', events: [ev({ author: { CNPJ: cnpj }, chNFe: key })] });
    expect(xml).toContain(`<CNPJ>${cnpj}</CNPJ><chNFe>${key}</chNFe>`);
    expect(xml).toContain(`Id="ID210210${key}01"`);
  });
});

describe('formatDhEvento', () => {
  const at = Date.UTC(2026, 2, 2, 12, 15, 30, 999);
  it("writes the company's wall clock with its UTC offset at that instant", () => {
    expect(formatDhEvento(at, 'America/Sao_Paulo')).toBe('2026-03-02T09:15:30-03:00');
    expect(formatDhEvento(at, 'America/Noronha')).toBe('2026-03-02T10:15:30-02:00');
    expect(formatDhEvento(at, 'America/Manaus')).toBe('2026-03-02T08:15:30-04:00');
    expect(formatDhEvento(at, 'America/Rio_Branco')).toBe('2026-03-02T07:15:30-05:00');
    expect(formatDhEvento(at, 'UTC')).toBe('2026-03-02T12:15:30+00:00');
    expect(formatDhEvento(Date.UTC(2026, 0, 1, 2, 59, 59), 'America/Sao_Paulo')).toBe('2025-12-31T23:59:59-03:00');
    // Brazil's summer time, abolished in 2019: the offset is the one in force at the instant
    expect(formatDhEvento(Date.UTC(2018, 11, 1, 12), 'America/Sao_Paulo')).toBe('2018-12-01T10:00:00-02:00');
  });

  it('gives what buildEnvEvento accepts, and refuses what SEFAZ would', () => {
    const dhEvento = formatDhEvento(at, 'America/Sao_Paulo');
    expect(() => buildEnvEvento({ idLote: '1', events: [ev({ dhEvento })] })).not.toThrow();
    expect(badRequest(() => formatDhEvento(at, 'Asia/Kolkata')).message).toMatch(/whole hour/);
    expect(badRequest(() => formatDhEvento(at, 'Mars/Olympus_Mons')).message).toMatch(/not a time zone/);
    expect(badRequest(() => formatDhEvento(Date.UTC(2100, 0, 2), 'UTC')).message).toMatch(/outside/);
    // New Zealand summer time is +13:00, past TDateTimeUTC's +12:00
    expect(badRequest(() => formatDhEvento(Date.UTC(2026, 0, 1), 'Pacific/Auckland')).message).toMatch(/2026-01-01T13:00:00\+13:00 is outside/);
    expect(badRequest(() => formatDhEvento(Number.NaN, 'UTC')).message).toMatch(/not an instant/);
  });
});

describe('newIdLote', () => {
  it('is the UTC instant as YYMMDDhhmmss plus 3 random digits', () => {
    const now = Date.UTC(2026, 2, 2, 12, 5, 9);
    expect(newIdLote(now, () => 0)).toBe('260302120509000');
    expect(newIdLote(now, () => 0.4567)).toBe('260302120509456');
    expect(newIdLote(now, () => 0.99999)).toBe('260302120509999');
    const ids = new Set(Array.from({ length: 50 }, () => newIdLote(now)));
    for (const id of ids) expect(id).toMatch(/^260302120509[0-9]{3}$/);
    expect(ids.size).toBeGreaterThan(1);
    expect(() => buildEnvEvento({ idLote: newIdLote(now), events: [ev()] })).not.toThrow();
  });
});

/** A signed batch: the schemas require each evento's Signature. */
const identity = (() => {
  let cached: { keyPem: string; certPem: string } | undefined;
  return () => {
    if (cached === undefined) {
      const pfx = makeClientPfx(makeTestCA(), { cnpj: CNPJ, password: 'events-test' });
      cached = decodePfx(pfx, 'events-test', 'events-test.pfx');
    }
    return cached;
  };
})();

describe('envEvento against the official XSDs (xmllint-wasm)', () => {
  const file = (dir: string, name: string) => ({ fileName: name, contents: readFileSync(sefazSchemaPath(dir, name), 'utf8') });
  const validateIn = (dir: string, schema: string, layout: string) => (docs: string[]) =>
    validateXML({
      xml: docs.map((contents, i) => ({ fileName: `envEvento${i}.xml`, contents })),
      schema: [file(dir, schema)],
      preload: [file(dir, layout), file(dir, 'tiposBasico_v1.03.xsd'), file(dir, 'xmldsig-core-schema_v1.01.xsd')],
    });
  const manifestacao = validateIn('manifestacao_nfelib', 'envConfRecebto_v1.00.xsd', 'leiauteConfRecebto_v1.00.xsd');
  const generico = validateIn('evento_generico', 'envEvento_v1.00.xsd', 'leiauteEvento_v1.00.xsd');
  /** Each detEvento alone against its event's own schema (e210200…e210240), stricter about xJust. */
  const perEvent = async (docs: string[]) => {
    const byType = new Map<string, string[]>();
    for (const doc of docs) {
      for (const m of doc.matchAll(/<tpEvento>(\d{6})<\/tpEvento>[\s\S]*?(<detEvento[\s\S]*?<\/detEvento>)/g)) {
        const det = m[2]!.replace('<detEvento ', `<detEvento xmlns="${NFE_NAMESPACE}" `);
        byType.set(m[1]!, [...(byType.get(m[1]!) ?? []), det]);
      }
    }
    expect([...byType.keys()].every((code) => CODES.includes(code as EventCode))).toBe(true);
    for (const [code, dets] of byType) {
      const result = await validateXML({
        xml: dets.map((contents, i) => ({ fileName: `detEvento${code}-${i}.xml`, contents })),
        schema: [file('manifestacao_nfelib', `e${code}_v1.00.xsd`)],
      });
      expect(result.errors).toEqual([]);
    }
    return byType.size;
  };
  const both = async (docs: string[]) => {
    for (const validate of [manifestacao, generico]) {
      const result = await validate(docs);
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
    }
    return perEvent(docs);
  };

  it('accepts all four events, CNPJ and CPF authors, one and several per batch', async () => {
    const docs: string[] = [];
    const all: EventInput[] = [];
    for (const tpEvento of CODES) {
      for (const author of [{ CNPJ }, { CPF }]) {
        const xJust = EVENT_TYPES[tpEvento].xJust === 'absent' ? undefined : 'Operação não reconhecida pela empresa';
        const input = ev({ tpAmb: '2', author, tpEvento, chNFe: 'CPF' in author ? KEY2 : KEY, ...(xJust ? { xJust } : {}) });
        all.push(input);
        docs.push(buildEnvEvento({ idLote: '1', events: [input] }));
      }
    }
    docs.push(buildEnvEvento({ idLote: '999999999999999', events: all }));
    docs.push(buildEnvEvento({ idLote: '1', events: Array.from({ length: 20 }, (_, i) => ev({ nSeqEvento: i + 1 })) }));
    expect(await both(docs.map((d) => signEnvEvento(d, identity())))).toBe(4);
  });

  it('accepts a sample of arbitrary valid batches', async () => {
    // the schema's Latin-1 range without the C1 controls buildEnvEvento refuses
    const latin1 = (from: number) =>
      fc.integer({ min: from, max: 0xff }).filter((c) => c < 0x7f || c > 0x9f).map((c) => String.fromCharCode(c));
    const xJust = fc
      .tuple(latin1(0x21), fc.array(latin1(0x20), { minLength: 13, maxLength: 253 }), latin1(0x21))
      .map(([a, mid, b]) => a + mid.join('') + b);
    const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
    const cnpj = digits(12).map((b) => b + cnpjCheckDigits(b)).filter(isValidCnpj);
    const cpf = digits(11).filter(isValidCpf);
    const key = fc.tuple(digits(4), cnpj, digits(9)).map(([aamm, c, n]) =>
      buildAccessKey({ cUF: '35', AAMM: aamm, CNPJ: c, mod: '55', serie: '1', nNF: n, tpEmis: '1', cNF: '12345678' }));
    const event = fc.record({
      tpEvento: fc.constantFrom(...CODES),
      author: fc.oneof(cnpj.map((CNPJ) => ({ CNPJ })), cpf.map((CPF) => ({ CPF }))),
      chNFe: key,
      nSeqEvento: fc.integer({ min: 1, max: 99 }),
      at: fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2099, 0, 1) }),
      zone: fc.constantFrom('America/Sao_Paulo', 'America/Noronha', 'America/Manaus', 'America/Rio_Branco', 'UTC'),
      xJust,
    }).map(({ at, zone, xJust: j, ...e }): EventInput => ({
      ...e,
      tpAmb: '1',
      dhEvento: formatDhEvento(at, zone),
      ...(EVENT_TYPES[e.tpEvento].xJust === 'absent' ? {} : { xJust: j }),
    }));
    const batch = fc.record({
      idLote: fc.integer({ min: 0, max: 999_999_999 }).map(String),
      events: fc.uniqueArray(event, { minLength: 1, maxLength: 5, selector: (e) => eventId(e.tpEvento, e.chNFe, e.nSeqEvento ?? 1) }),
    });
    const docs = fc.sample(batch, { numRuns: 25, seed: 20260302 }).map((b) => signEnvEvento(buildEnvEvento(b), identity()));
    await both(docs);
  });

  it('is a check that can fail: a wrong descEvento and a missing Signature are refused', async () => {
    const signed = signEnvEvento(buildEnvEvento({ idLote: '1', events: [ev()] }), identity());
    for (const validate of [manifestacao]) {
      expect((await validate([signed.replace('Ciencia da Operacao', 'Ciência da Operação')])).valid).toBe(false);
      expect((await validate([buildEnvEvento({ idLote: '1', events: [ev()] })])).valid).toBe(false);
    }
    expect((await generico([signed.replace('<cOrgao>91</cOrgao>', '<cOrgao>99</cOrgao>')])).valid).toBe(false);
    const noJust = buildEnvEvento({ idLote: '1', events: [ev({ tpEvento: '210240', xJust: JUST })] }).replace(/<xJust>.*<\/xJust>/, '');
    await expect(perEvent([noJust])).rejects.toThrow();
  });
});
