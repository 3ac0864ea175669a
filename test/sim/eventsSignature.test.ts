/** The simulator's own XML-DSig verifier, on sped-nfe's real request and on the client's signed batches. */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signEnvEvento } from '../../src/cert/sign.js';
import { decodePfx } from '../../src/cert/pkcs12.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import { buildEnvEvento, type EventInput } from '../../src/sefaz/events.js';
import { buildAccessKey } from '../../src/sefaz/identifiers.js';
import { extractEnvEvento, verifyEnvEventoSignatures } from '../../src/sim/index.js';
import { available, samplePath } from '../helpers/reference.js';

const CNPJ = '58716523000119';
const key = (nNF: number): string =>
  buildAccessKey({ cUF: '35', AAMM: '2611', CNPJ: '05730928000145', mod: '55', serie: '1', nNF: String(nNF), tpEmis: '1', cNF: '07140047' });
const identity = decodePfx(makeClientPfx(makeTestCA(), { cnpj: CNPJ, password: 'v' }), 'v', 'verifier.pfx');

function ev(nNF: number, over: Partial<EventInput> = {}): EventInput {
  return { tpAmb: '2', author: { CNPJ }, chNFe: key(nNF), tpEvento: '210210', dhEvento: '2026-11-20T09:00:00-03:00', ...over };
}
const BATCH = signEnvEvento(buildEnvEvento({ idLote: '1', events: [ev(1), ev(2, { tpEvento: '210200' }), ev(3)] }), identity);
const problems = (xml: string) => verifyEnvEventoSignatures(xml).map((v) => v.problem);

/** Changes the character at `at` to another one of the same kind (digit, letter, base64). */
function flip(text: string, at: number): string {
  const c = text[at]!;
  const other = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : 'A';
  return text.slice(0, at) + other + text.slice(at + 1);
}

describe("sped-nfe's signed Ciência (spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml)", () => {
  const fixture = readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8');
  const envEvento = extractEnvEvento(fixture)!;

  it('verifies, taken out of nfeDadosMsg, with the certificate it carries', () => {
    expect(envEvento.startsWith('<envEvento xmlns="http://www.portalfiscal.inf.br/nfe" versao="1.00">')).toBe(true);
    const [v, ...rest] = verifyEnvEventoSignatures(envEvento);
    expect(rest).toEqual([]);
    expect(v).toMatchObject({ id: 'ID2102103524030573092800014565001000000142107140047801', problem: null, detail: 'valid' });
    const carried = /<X509Certificate>([^<]+)</.exec(fixture)![1]!;
    expect(v!.certificate).toEqual(new X509Certificate(Buffer.from(carried, 'base64')).raw);
  });

  it('fails when any one character of the signed infEvento changes', () => {
    const start = envEvento.indexOf('<infEvento');
    const end = envEvento.indexOf('</infEvento>');
    // every character of every value in infEvento (codes, CNPJ, key, date, description)
    const positions = [...envEvento.slice(start, end).matchAll(/>([^<]+)</g)].flatMap((m) =>
      Array.from({ length: m[1]!.length }, (_, i) => start + m.index + 1 + i),
    );
    expect(positions.length).toBe(116);
    for (const at of positions) expect(problems(flip(envEvento, at)), `character ${at}`).toEqual(['digest']);
    // a changed Id no longer is what the Reference points to
    expect(problems(flip(envEvento, envEvento.indexOf('Id="ID') + 10))).toEqual(['profile']);
  });

  it('fails when the SignatureValue changes, or the certificate is another one', () => {
    const value = envEvento.indexOf('<SignatureValue>') + '<SignatureValue>'.length + 10;
    expect(problems(flip(envEvento, value))).toEqual(['signature']);
    const other = new X509Certificate(identity.certPem).raw.toString('base64');
    expect(problems(envEvento.replace(/<X509Certificate>[^<]+</, `<X509Certificate>${other}<`))).toEqual(['signature']);
  });

  it('fails inside an element that brings another namespace into scope: inclusive C14N takes it in (why the envEvento is taken out)', () => {
    const inScope = envEvento.replace('<envEvento ', '<envEvento xmlns:soap="http://www.w3.org/2003/05/soap-envelope" ');
    expect(problems(inScope)).toEqual(['digest']);
  });
});

describe("the client's signed batches", () => {
  it('verify one by one; a change in one evento fails that one only', () => {
    expect(verifyEnvEventoSignatures(BATCH).map((v) => [v.id?.slice(0, 8), v.problem])).toEqual([
      ['ID210210', null],
      ['ID210200', null],
      ['ID210210', null],
    ]);
    const second = BATCH.indexOf('<dhEvento>', BATCH.indexOf('<dhEvento>') + 1) + '<dhEvento>'.length + 3;
    expect(problems(flip(BATCH, second))).toEqual([null, 'digest', null]);
  });

  it('refuse any other profile: transforms swapped, a Reference to another evento, no usable certificate', () => {
    const swapped = BATCH.replace(
      '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
      '<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>',
    );
    expect(problems(swapped)).toEqual(['profile', null, null]);
    const ids = [...BATCH.matchAll(/<infEvento Id="([^"]+)"/g)].map((m) => m[1]!);
    const wrapped = BATCH.replace(`URI="#${ids[0]}"`, `URI="#${ids[1]}"`);
    expect(problems(wrapped)).toEqual(['profile', null, null]);
    expect(problems(BATCH.replace(/<X509Certificate>[^<]+</, '<X509Certificate>AAAA<'))).toEqual(['certificate', null, null]);
    expect(verifyEnvEventoSignatures(BATCH.replace(/<X509Certificate>[^<]+</, '<X509Certificate>AAAA<'))[0]?.certificate).toBeNull();
  });
});

const hasXmlsec = (): boolean =>
  available('xmlsec1 (apt-get install xmlsec1)', spawnSync('xmlsec1', ['--version'], { stdio: 'ignore' }).status === 0);

describe.skipIf(!hasXmlsec())("agrees with Debian's xmlsec1", () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-sim-xmlsec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** xmlsec1's verdict on a one-evento envEvento, the certificate's trust left aside as the verifier leaves it. */
  const xmlsecValid = (envEvento: string): boolean => {
    const file = join(dir, `e${++n}.xml`);
    writeFileSync(file, envEvento);
    return spawnSync('xmlsec1', ['--verify', '--insecure', '--id-attr:Id', 'infEvento', file], { stdio: 'ignore' }).status === 0;
  };

  it('on valid and changed events, ours and sped-nfe\'s', () => {
    const ours = signEnvEvento(buildEnvEvento({ idLote: '7', events: [ev(9, { tpEvento: '210240', xJust: 'Mercadoria devolvida & recusada <sem nota>' })] }), identity);
    const sped = extractEnvEvento(readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8'))!;
    const samples = [ours, flip(ours, ours.indexOf('</dhEvento>') - 8), ours.replace('<envEvento ', '<envEvento xmlns:x="urn:x" '), sped, sped.replace('<tpAmb>2</tpAmb>', '<tpAmb>1</tpAmb>')];
    const verdicts = samples.map((x) => [xmlsecValid(x), verifyEnvEventoSignatures(x)[0]?.problem === null]);
    expect(verdicts.map(([theirs, mine]) => theirs === mine)).toEqual(samples.map(() => true));
    expect(verdicts.map(([, mine]) => mine)).toEqual([true, false, false, true, false]);
  });
});
