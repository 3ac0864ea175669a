import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { ManualClock } from '../../src/clock.js';
import { describeDocument } from '../../src/sefaz/document.js';
import { isValidAccessKey, isValidCnpj, parseAccessKey } from '../../src/sefaz/identifiers.js';
import { DistributionService } from '../../src/sim/index.js';
import { DocumentFactory, type SimDocument } from '../../src/sim/documents.js';
import { validateAll } from './xsd.js';

const RECIPIENT = '11222333000181';
const START = Date.UTC(2026, 9, 1, 12);

function stream(seed: number, n: number, recipient = RECIPIENT): SimDocument[] {
  const f = new DocumentFactory({ recipient, seed, tpAmb: '2' });
  return Array.from({ length: n }, (_, i) => f.next(START + i * 60_000));
}

const alphanumericIssuer = (d: SimDocument): boolean => /[A-Z]/.test(d.chNFe);

describe('generated documents', () => {
  const docs = stream(7, 400);

  it('mix resNFe (most), procNFe, resEvento and procEventoNFe, each with its real schema name', () => {
    const count = (k: string): number => docs.filter((d) => d.kind === k).length;
    expect(count('resNFe')).toBeGreaterThan(docs.length / 2);
    for (const k of ['procNFe', 'resEvento', 'procEventoNFe']) expect(count(k)).toBeGreaterThan(10);
    const schemas = new Set(docs.map((d) => `${d.kind}:${d.schema}`));
    expect([...schemas].sort()).toEqual([
      'procEventoNFe:procEventoNFe_v1.00.xsd', 'procNFe:procNFe_v4.00.xsd', 'resEvento:resEvento_v1.01.xsd', 'resNFe:resNFe_v1.01.xsd',
    ]);
  });

  it('carry valid access keys (mod 11), some from issuers with alphanumeric CNPJs', () => {
    for (const d of docs) {
      expect(isValidAccessKey(d.chNFe), d.chNFe).toBe(true);
      expect(isValidCnpj(parseAccessKey(d.chNFe).CNPJ)).toBe(true);
    }
    expect(docs.some(alphanumericIssuer)).toBe(true);
    expect(docs.filter(alphanumericIssuer).length).toBeLessThan(docs.length / 2);
  });

  it('are read by the product parser as the kind and key they claim to be', () => {
    for (const d of docs) {
      const facts = describeDocument(d.schema, Buffer.from(d.xml));
      expect([facts.kind, facts.chNFe, facts.error]).toEqual([d.kind, d.chNFe, null]);
    }
  });

  it('are the same for the same seed and CNPJ, and differ for another seed', () => {
    expect(stream(7, 60).map((d) => d.xml)).toEqual(docs.slice(0, 60).map((d) => d.xml));
    expect(stream(8, 60).map((d) => d.xml)).not.toEqual(docs.slice(0, 60).map((d) => d.xml));
    expect(stream(7, 60, '45997418000153').map((d) => d.chNFe)).not.toEqual(docs.slice(0, 60).map((d) => d.chNFe));
  });

  it('do not depend on which other companies the simulator holds (a seed gives each CNPJ its own stream)', () => {
    const a = new DistributionService({ clock: new ManualClock(START), environment: 'homologation', seed: 3 });
    const b = new DistributionService({ clock: new ManualClock(START), environment: 'homologation', seed: 3 });
    b.addCompany('45997418000153', { documents: 40 });
    a.addCompany(RECIPIENT, { documents: 25 });
    b.addCompany(RECIPIENT, { documents: 25 });
    expect(b.documents(RECIPIENT)).toEqual(a.documents(RECIPIENT));
  });

  it('are gzipped with the header bytes of real captures', () => {
    const svc = new DistributionService({ clock: new ManualClock(START), environment: 'homologation', seed: 1 });
    svc.addCompany(RECIPIENT, { documents: 1 });
    const ret = svc.query({
      op: 'distNSU', value: '000000000000000', tpAmb: '2', interested: { CNPJ: RECIPIENT }, certCnpj: RECIPIENT, soap: '1.2',
    });
    const gz = Buffer.from(ret.docs[0]!.content, 'base64');
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000400');
    expect(gunzipSync(gz).toString()).toBe(svc.documents(RECIPIENT)[0]!.xml);
  });
});

/**
 * The official schemas say `[0-9]{14}` for CNPJs and `[0-9]{44}` for keys everywhere but
 * in PL_010's NF-e layout: documents of alphanumeric issuers may break those patterns
 * and nothing else.
 */
const ONLY_NUMERIC_PATTERNS =
  /^Schemas validity error : Element '\{[^}]+\}(?:chNFe|CNPJ|infEvento|infNFe)'(?:, attribute 'Id')?: \[facet 'pattern'\] The value '[0-9A-Za-z]+' is not accepted by the pattern '(?:\[0-9\]\{0\}\|)?(?:\[0-9\]\{14\}|\[0-9\]\{44\}|NFe\[0-9\]\{44\}|ID\[0-9\]\{52\})'\.$/;

describe('generated documents against the official XSDs', () => {
  const docs = stream(11, 300);
  const numeric = docs.filter((d) => !alphanumericIssuer(d));
  const alphanumeric = docs.filter(alphanumericIssuer);
  const of = (list: SimDocument[], kind: string): string[] => list.filter((d) => d.kind === kind).map((d) => d.xml);

  const cases = [
    ['resNFe', 'distdfe', 'resNFe_v1.01.xsd'],
    ['resEvento', 'distdfe', 'resEvento_v1.01.xsd'],
    ['procNFe', 'nfe_PL_009_V4', 'procNFe_v4.00.xsd'],
    ['procEventoNFe', 'evento_generico', 'procEventoNFe_v1.00.xsd'],
  ] as const;

  it.each(cases)('%s validates against %s/%s', async (kind, folder, xsd) => {
    const xmls = of(numeric, kind);
    expect(xmls.length).toBeGreaterThan(5);
    const errors = await validateAll(folder, xsd, xmls);
    expect(errors.filter((e) => e.length > 0)).toEqual([]);
  });

  it('procNFe of every issuer, alphanumeric ones included, validates against PL_010 (which admits them)', async () => {
    const xmls = of(docs, 'procNFe');
    expect(xmls.some((x) => /<emit><CNPJ>[0-9]*[A-Z]/.test(x))).toBe(true);
    const errors = await validateAll('nfe_PL_010_V1.30', 'procNFe_v4.00.xsd', xmls);
    expect(errors.filter((e) => e.length > 0)).toEqual([]);
  });

  it.each(cases)('%s of alphanumeric issuers breaks only the numeric CNPJ and key patterns of %s/%s', async (kind, folder, xsd) => {
    const xmls = of(alphanumeric, kind);
    const errors = (await validateAll(folder, xsd, xmls)).flat();
    expect(errors.filter((e) => !ONLY_NUMERIC_PATTERNS.test(e))).toEqual([]);
  });
});
