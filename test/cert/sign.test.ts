import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { decodePfx } from '../../src/cert/pkcs12.js';
import {
  C14N_ALGORITHM, ENVELOPED_SIGNATURE_TRANSFORM, RSA_SHA1_ALGORITHM, SHA1_ALGORITHM, signEnvEvento,
  SigningError, XMLDSIG_NAMESPACE, type SigningIdentity,
} from '../../src/cert/sign.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import { buildEnvEvento, type EventInput } from '../../src/sefaz/events.js';
import { buildAccessKey } from '../../src/sefaz/identifiers.js';
import { parseXml } from '../../src/sefaz/xml.js';
import { available, samplePath } from '../helpers/reference.js';
import { tempDir } from './helpers.js';
import { thrown } from '../helpers/thrown.js';

const CNPJ = '58716523000119';
const CPF = '11144477735';
const KEY = '41241275104406000547550010001618511133300785';
const KEY2 = buildAccessKey({ cUF: '35', AAMM: '2603', CNPJ: '05730928000145', mod: '55', serie: '1', nNF: '142', tpEmis: '1', cNF: '07140047' });
const DH = '2026-03-02T09:15:00-03:00';

const ca = makeTestCA();
const identity: SigningIdentity = decodePfx(makeClientPfx(ca, { cnpj: CNPJ, password: 'sign-test' }), 'sign-test', 'sign-test.pfx');
const certBase64 = new X509Certificate(identity.certPem).raw.toString('base64');

function ev(over: Partial<EventInput> = {}): EventInput {
  return { tpAmb: '2', author: { CNPJ }, chNFe: KEY, tpEvento: '210210', dhEvento: DH, ...over };
}

/** All four events, both kinds of author, in one batch. */
const BATCH = buildEnvEvento({
  idLote: '260302091500123',
  events: [
    ev(),
    ev({ tpEvento: '210200', author: { CPF }, chNFe: KEY2 }),
    ev({ tpEvento: '210220', xJust: 'Não reconheço esta "operação" & <pedido>' }),
    ev({ tpEvento: '210240', chNFe: KEY2, xJust: 'Mercadoria devolvida ao transportador' }),
  ],
});

const signingError = (fn: () => unknown): SigningError => thrown(SigningError, fn);

type Node = Record<string, unknown>;
const node = (v: unknown): Node => v as Node;
const elementNames = (n: Node): string[] => Object.keys(n).filter((k) => !k.startsWith('@_') && k !== '#text');

describe('signEnvEvento', () => {
  const signed = signEnvEvento(BATCH, identity);

  it('appends one Signature per evento with exactly the structure PROTOCOL.md §3 fixes', () => {
    const doc = parseXml(signed) as { envEvento: { evento: Node[] } };
    expect(doc.envEvento.evento).toHaveLength(4);
    for (const evento of doc.envEvento.evento) {
      expect(elementNames(evento)).toEqual(['infEvento', 'Signature']);
      const id = node(evento['infEvento'])['@_Id'] as string;
      const sig = node(evento['Signature']);
      expect(Object.keys(sig).filter((k) => k.startsWith('@_'))).toEqual([]);
      expect(elementNames(sig)).toEqual(['SignedInfo', 'SignatureValue', 'KeyInfo']);
      const info = node(sig['SignedInfo']);
      expect(elementNames(info)).toEqual(['CanonicalizationMethod', 'SignatureMethod', 'Reference']);
      expect(node(info['CanonicalizationMethod'])['@_Algorithm']).toBe(C14N_ALGORITHM);
      expect(node(info['SignatureMethod'])['@_Algorithm']).toBe(RSA_SHA1_ALGORITHM);
      const ref = node(info['Reference']);
      expect(Array.isArray(info['Reference'])).toBe(false);
      expect(ref['@_URI']).toBe(`#${id}`);
      expect(elementNames(ref)).toEqual(['Transforms', 'DigestMethod', 'DigestValue']);
      const transforms = node(ref['Transforms'])['Transform'] as Node[];
      expect(transforms.map((t) => t['@_Algorithm'])).toEqual([ENVELOPED_SIGNATURE_TRANSFORM, C14N_ALGORITHM]);
      expect(node(ref['DigestMethod'])['@_Algorithm']).toBe(SHA1_ALGORITHM);
      expect(ref['DigestValue']).toMatch(/^[A-Za-z0-9+/]{27}=$/);
      expect(sig['SignatureValue']).toMatch(/^[A-Za-z0-9+/]{342}==$/);
      const keyInfo = node(sig['KeyInfo']);
      expect(elementNames(keyInfo)).toEqual(['X509Data']);
      expect(elementNames(node(keyInfo['X509Data']))).toEqual(['X509Certificate']);
      expect(node(keyInfo['X509Data'])['X509Certificate']).toBe(certBase64);
    }
    // parseXml drops namespace declarations: read the start tags themselves
    expect(signed.match(/<Signature[\s>][^>]*>/g)).toEqual(Array(4).fill(`<Signature xmlns="${XMLDSIG_NAMESPACE}">`));
    expect(signed.match(/<\/infEvento><Signature /g)).toHaveLength(4);
    expect(signed.match(/<\/Signature><\/evento>/g)).toHaveLength(4);
    expect(signed).not.toMatch(/^<\?xml/);
    expect(signed).not.toMatch(/>\s+</);
    expect(signed).not.toContain('BEGIN CERTIFICATE');
    expect(signed).not.toMatch(/<\/infEvento><\/evento>/);
  });

  it('leaves the events as they were: removing the Signatures gives back the unsigned batch', () => {
    const plain = buildEnvEvento({ idLote: '1', events: [ev(), ev({ tpEvento: '210200', author: { CPF } })] });
    expect(signEnvEvento(plain, identity).replace(/<Signature [\s\S]*?<\/Signature>/g, '')).toBe(plain);
    // quotes and apostrophes may come back unescaped in text, which is the same XML
    const back = signed.replace(/<Signature [\s\S]*?<\/Signature>/g, '');
    expect(parseXml(back)).toEqual(parseXml(BATCH));
  });

  it('is a pure function of its inputs', () => {
    expect(signEnvEvento(BATCH, identity)).toBe(signed);
  });

  it('has the shape of the sped-nfe request, but for the values', () => {
    const fixture = readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8');
    const skeleton = (xml: string) =>
      /<Signature[\s\S]*?<\/Signature>/.exec(xml)![0]
        .replace(/URI="#ID\d+"/, 'URI="#ID"')
        .replace(/>[A-Za-z0-9+/=]+</g, '><');
    expect(skeleton(signed)).toBe(skeleton(fixture));
  });

  it("digests the sped-nfe fixture's infEvento to the DigestValue sped-nfe wrote", () => {
    const fixture = readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8').trim();
    const envEvento = fixture
      .replace(/^<nfeDadosMsg[^>]*>/, '').replace(/<\/nfeDadosMsg>$/, '')
      .replace(/<Signature[\s\S]*?<\/Signature>/, '');
    const digest = (xml: string) => /<DigestValue>([^<]+)<\/DigestValue>/.exec(xml)![1];
    expect(digest(signEnvEvento(envEvento, identity))).toBe(digest(fixture));
    expect(digest(fixture)).toBe('yAhixOXZ9CmUl1r1WWEDe9f8Bos=');
  });

  it('verifies with xml-crypto, and a tampered copy does not', () => {
    const check = (xml: string, n: number) => {
      const sig = new SignedXml({ publicCert: identity.certPem });
      const signatures = [...xml.matchAll(/<Signature [\s\S]*?<\/Signature>/g)].map((m) => m[0]);
      sig.loadSignature(signatures[n]!);
      return sig.checkSignature(xml);
    };
    for (let n = 0; n < 4; n++) expect(check(signed, n)).toBe(true);
    const tampered = signed.replace('<descEvento>Confirmacao da Operacao', '<descEvento>Confirmacao da Operacaa');
    expect(check(tampered, 0)).toBe(true);
    expect(check(tampered, 1)).toBe(false);
  });

  it('refuses what it cannot sign well, without showing key material', () => {
    const other = decodePfx(makeClientPfx(ca, { cnpj: CNPJ, password: 'x' }), 'x', 'other.pfx');
    const cases: [() => unknown, string, RegExp][] = [
      [() => signEnvEvento(BATCH, { keyPem: other.keyPem, certPem: identity.certPem }), 'SIGN_KEY_MISMATCH', /does not belong to the certificate/],
      [() => signEnvEvento(BATCH, { keyPem: 'not a key', certPem: identity.certPem }), 'SIGN_BAD_IDENTITY', /key/],
      [() => signEnvEvento(BATCH, { keyPem: identity.keyPem, certPem: 'not a certificate' }), 'SIGN_BAD_IDENTITY', /certificate/],
      [() => signEnvEvento(signed, identity), 'SIGN_BAD_DOCUMENT', /already signed/],
      [() => signEnvEvento(`<?xml version="1.0"?>${BATCH}`, identity), 'SIGN_BAD_DOCUMENT', /only an envEvento/],
      [() => signEnvEvento('<envEvento xmlns="http://www.portalfiscal.inf.br/nfe" versao="1.00"><idLote>1</idLote></envEvento>', identity), 'SIGN_BAD_DOCUMENT', /0 evento/],
      [() => signEnvEvento(BATCH.replace('<infEvento Id="ID', '<infEvento Id="XX'), identity), 'SIGN_BAD_DOCUMENT', /Id "XX/],
      [() => signEnvEvento(BATCH.replace('Mercadoria', 'Mercadoria\u0085'), identity), 'SIGN_BAD_DOCUMENT', /U\+0085/],
    ];
    for (const [fn, code, pattern] of cases) {
      const err = signingError(fn);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(pattern);
      expect(err.message).not.toMatch(/PRIVATE KEY|MII/);
    }
  });
});

const hasXmlsec = (): boolean =>
  available('xmlsec1 (apt-get install xmlsec1)', spawnSync('xmlsec1', ['--version'], { stdio: 'ignore' }).status === 0);

describe.skipIf(!hasXmlsec())("Debian's xmlsec1 verifies what we sign", () => {
  const dir = tempDir();
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  const signed = signEnvEvento(BATCH, identity);

  /** xmlsec1 --verify of the n-th Signature (1-based); the exit status and what it printed. */
  function xmlsec(xml: string, opts: { n?: number; trusted?: string; extra?: string[] } = {}): { ok: boolean; out: string } {
    const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, xml);
    const args = ['--verify', '--id-attr:Id', 'infEvento', ...(opts.extra ?? ['--trusted-pem', opts.trusted ?? caFile])];
    if (opts.n !== undefined) args.push('--node-xpath', `(//*[local-name()='Signature'])[${opts.n}]`);
    const r = spawnSync('xmlsec1', [...args, file], { encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  }

  it('verifies a single Ciência exactly as the issue runs it', () => {
    const one = signEnvEvento(buildEnvEvento({ idLote: '1', events: [ev()] }), identity);
    const r = xmlsec(one);
    expect(r.out).toContain('SignedInfo References (ok/all): 1/1');
    expect(r.ok).toBe(true);
  });

  it('verifies every signature of a batch of the four events, CNPJ and CPF authors', () => {
    for (let n = 1; n <= 4; n++) {
      const r = xmlsec(signed, { n });
      expect(r.out, `signature ${n}`).toContain('SignedInfo References (ok/all): 1/1');
      expect(r.ok, `signature ${n}`).toBe(true);
    }
  });

  it('fails a copy with one character of an infEvento changed, and only that event', () => {
    const tampered = signed.replace('<dhEvento>2026-03-02T09:15:00-03:00</dhEvento><tpEvento>210200', '<dhEvento>2026-03-02T09:15:01-03:00</dhEvento><tpEvento>210200');
    expect(tampered).not.toBe(signed);
    expect(xmlsec(tampered, { n: 1 }).ok).toBe(true);
    const r = xmlsec(tampered, { n: 2 });
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/data and digest do not match|References \(ok\/all\): 0\/1/);
    expect(xmlsec(signed.replace('<CPF>11144477735</CPF>', '<CPF>11144477736</CPF>'), { n: 2 }).ok).toBe(false);
  });

  it('fails a signature whose certificate is not from the trusted CA', () => {
    const strangerCa = join(dir, 'stranger.pem');
    writeFileSync(strangerCa, makeTestCA({ name: 'AC estranha' }).certPem);
    expect(xmlsec(signed, { n: 1, trusted: strangerCa }).ok).toBe(false);
  });

  it("verifies the sped-nfe fixture's signature (a positive control from another signer)", () => {
    const fixture = readFileSync(samplePath('spednfe_request_sefazManifesta_210210_nfeDadosMsg.xml'), 'utf8');
    // its certificate is sped-nfe's self-signed test one: check the mathematics, not the trust
    expect(xmlsec(fixture, { extra: ['--insecure'] }).ok).toBe(true);
    expect(xmlsec(fixture.replace('<tpAmb>2</tpAmb>', '<tpAmb>1</tpAmb>'), { extra: ['--insecure'] }).ok).toBe(false);
  });
});
