/**
 * SEFAZ's rules (DESIGN.md §2) as the simulator answers them, driven over real mutual TLS
 * on 127.0.0.1 with the product's transport and wire format, on a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { XMOTIVO_656_LIMIT_20, XMOTIVO_656_SEQUENCE, XMOTIVO_656_WAIT_HOUR } from '../../src/sefaz/catalog.js';
import { CERT_CNPJ, HOUR, MINUTE, OTHER_COMPANY, branch, consChNFe, consNSU, distNSU, useHarness } from './harness.js';

const ZERO = '000000000000000';
const nsu = (n: number): string => String(n).padStart(15, '0');

const h = useHarness();

/** Each test works its own branch CNPJ: one certificate, independent sequences. */
let nextBranch = 1;
function company(documents: number, spreadDays?: number): string {
  const cnpj = branch(nextBranch++);
  h.sim.addCompany(cnpj, { documents, ...(spreadDays === undefined ? {} : { spreadDays }) });
  return cnpj;
}
const violationsOf = (cnpj: string) => h.sim.violations().filter((v) => v.cnpj === cnpj);

describe('distNSU', () => {
  it('hands out 50 documents a batch in NSU order until ultNSU == maxNSU (138)', async () => {
    const cnpj = company(120);
    const a = await h.ask(cnpj, distNSU(0));
    expect([a.cStat, a.xMotivo, a.ultNSU, a.maxNSU]).toEqual(['138', 'Documento(s) localizado(s)', nsu(50), nsu(120)]);
    expect(a.docs.map((d) => d.NSU)).toEqual(Array.from({ length: 50 }, (_, i) => nsu(i + 1)));
    expect(a.docs.every((d) => d.decodeError === null && d.kind !== 'unknown' && d.chNFe !== null)).toBe(true);
    const b = await h.ask(cnpj, distNSU(50));
    expect([b.cStat, b.ultNSU, b.docs.length, b.docs[0]?.NSU]).toEqual(['138', nsu(100), 50, nsu(51)]);
    const c = await h.ask(cnpj, distNSU(100));
    expect([c.cStat, c.ultNSU, c.maxNSU, c.docs.length]).toEqual(['138', nsu(120), nsu(120), 20]);
    expect(h.sim.company(cnpj)).toMatchObject({ ultNSU: nsu(120), maxNSU: nsu(120), blockedUntil: null });
    expect(violationsOf(cnpj)).toEqual([]);
  });

  it('answers 137 with ultNSU = maxNSU when nothing is left', async () => {
    const cnpj = company(7);
    await h.ask(cnpj, distNSU(0));
    h.clock.advance(HOUR);
    const a = await h.ask(cnpj, distNSU(7));
    expect([a.cStat, a.xMotivo, a.ultNSU, a.maxNSU, a.docs.length]).toEqual(['137', 'Nenhum documento localizado', nsu(7), nsu(7), 0]);
  });

  it('answers 656 (wait an hour) to a distNSU within the hour after a 137, with SEFAZ ultNSU and maxNSU 0', async () => {
    const cnpj = company(0);
    const first = await h.ask(cnpj, distNSU(0));
    expect([first.cStat, first.ultNSU, first.maxNSU]).toEqual(['137', ZERO, ZERO]);
    h.clock.advance(59 * MINUTE);
    const a = await h.ask(cnpj, distNSU(0));
    expect([a.cStat, a.xMotivo, a.ultNSU, a.maxNSU]).toEqual(['656', XMOTIVO_656_WAIT_HOUR, ZERO, ZERO]);
    expect(violationsOf(cnpj)).toMatchObject([{ rule: 'wait-hour', op: 'distNSU' }]);
  });

  it('answers 656 (wait an hour) after a 138 whose ultNSU == maxNSU, and allows the distNSU an hour later', async () => {
    const cnpj = company(30);
    const a = await h.ask(cnpj, distNSU(0));
    expect([a.cStat, a.ultNSU, a.maxNSU]).toEqual(['138', nsu(30), nsu(30)]);
    h.clock.advance(10 * MINUTE);
    const early = await h.ask(cnpj, distNSU(30));
    expect([early.cStat, early.xMotivo, early.ultNSU, early.maxNSU]).toEqual(['656', XMOTIVO_656_WAIT_HOUR, nsu(30), ZERO]);
    expect(violationsOf(cnpj).map((v) => v.rule)).toEqual(['wait-hour']);

    // A well-behaved client: the 137-hour passes; a new company with the same history is allowed.
    const patient = company(30);
    await h.ask(patient, distNSU(0));
    h.sim.addDocuments(patient, 3);
    h.clock.advance(HOUR);
    const later = await h.ask(patient, distNSU(30));
    expect([later.cStat, later.ultNSU, later.maxNSU, later.docs.map((d) => d.NSU)]).toEqual([
      '138', nsu(33), nsu(33), [nsu(31), nsu(32), nsu(33)],
    ]);
    expect(violationsOf(patient)).toEqual([]);
  });

  it('lets the very first distNSU of a CNPJ start anywhere up to maxNSU', async () => {
    const cnpj = company(80);
    const a = await h.ask(cnpj, distNSU(70));
    expect([a.cStat, a.docs[0]?.NSU, a.ultNSU]).toEqual(['138', nsu(71), nsu(80)]);
  });

  it('answers 656 (sequence) to an ultNSU that is not the last one returned, carrying SEFAZ ultNSU', async () => {
    const cnpj = company(120);
    await h.ask(cnpj, distNSU(0));
    const a = await h.ask(cnpj, distNSU(10));
    expect([a.cStat, a.xMotivo, a.ultNSU, a.maxNSU]).toEqual(['656', XMOTIVO_656_SEQUENCE, nsu(50), ZERO]);
    expect(violationsOf(cnpj)).toMatchObject([{ rule: 'sequence', op: 'distNSU' }]);
    expect(h.sim.calls().at(-1)).toMatchObject({ cnpj, cStat: '656', rule: 'sequence', cause: 'client', violation: true });
  });

  it('tolerates the repeat of the previous request ultNSU (the retry of a lost answer), and only that one', async () => {
    const cnpj = company(120);
    const a = await h.ask(cnpj, distNSU(0));
    const retry = await h.ask(cnpj, distNSU(0));
    expect([retry.cStat, retry.ultNSU]).toEqual(['138', nsu(50)]);
    expect(retry.docs.map((d) => d.NSU)).toEqual(a.docs.map((d) => d.NSU));
    const b = await h.ask(cnpj, distNSU(50));
    expect([b.cStat, b.ultNSU]).toEqual(['138', nsu(100)]);
    const stale = await h.ask(cnpj, distNSU(0));
    expect([stale.cStat, stale.xMotivo, stale.ultNSU]).toEqual(['656', XMOTIVO_656_SEQUENCE, nsu(100)]);
    expect(violationsOf(cnpj).map((v) => v.rule)).toEqual(['sequence']);
  });

  it('answers 589 to an ultNSU above maxNSU', async () => {
    const cnpj = company(5);
    const a = await h.ask(cnpj, distNSU(6));
    expect([a.cStat, a.xMotivo]).toEqual(['589', 'Rejeicao: Numero do NSU informado superior ao maior NSU da base de dados doAmbiente Nacional']);
  });

  it('serves only documents the AN received in the last 90 days', async () => {
    const cnpj = company(10, 5);
    h.clock.advance(91 * 24 * HOUR);
    h.sim.addDocuments(cnpj, 4);
    const a = await h.ask(cnpj, distNSU(0));
    expect([a.cStat, a.ultNSU, a.maxNSU, a.docs.map((d) => d.NSU)]).toEqual([
      '138', nsu(14), nsu(14), [nsu(11), nsu(12), nsu(13), nsu(14)],
    ]);
  });
});

describe('consNSU and consChNFe', () => {
  it('are answered during the hour after a 137, consNSU with cursor fields and consChNFe without', async () => {
    const cnpj = company(12);
    const drained = await h.ask(cnpj, distNSU(0));
    expect(drained.ultNSU).toBe(drained.maxNSU);
    h.clock.advance(MINUTE);
    const one = await h.ask(cnpj, consNSU(3));
    expect([one.cStat, one.xMotivo, one.ultNSU, one.maxNSU, one.docs.length, one.docs[0]?.NSU]).toEqual([
      '138', 'Documento localizado', nsu(3), nsu(12), 1, nsu(3),
    ]);
    expect(one.docs[0]?.xml?.toString()).toBe(h.sim.documents(cnpj)[2]?.xml);
    const key = h.sim.documents(cnpj).find((d) => d.kind === 'resNFe')!.chNFe;
    const byKey = await h.ask(cnpj, consChNFe(key));
    expect([byKey.cStat, byKey.xMotivo, byKey.ultNSU, byKey.maxNSU, byKey.docs.length]).toEqual(['138', 'Documento localizado', null, null, 1]);
    expect([byKey.docs[0]?.NSU, byKey.docs[0]?.chNFe]).toEqual([null, key]);
    expect(violationsOf(cnpj)).toEqual([]);
  });

  it('allows 20 in a rolling hour and answers 656 to the 21st', async () => {
    const cnpj = company(30);
    const key = h.sim.documents(cnpj).find((d) => d.kind === 'resNFe')!.chNFe;
    for (let i = 1; i <= 20; i++) {
      const a = await h.ask(cnpj, i % 2 === 0 ? consNSU(i) : consChNFe(key));
      expect(a.cStat, `call ${i}`).toBe('138');
      h.clock.advance(MINUTE);
    }
    const a = await h.ask(cnpj, consNSU(21));
    expect([a.cStat, a.xMotivo]).toEqual(['656', XMOTIVO_656_LIMIT_20]);
    expect(violationsOf(cnpj)).toMatchObject([{ rule: 'limit-20', op: 'consNSU' }]);
  });

  it('counts the window as rolling: calls older than an hour free their place', async () => {
    const cnpj = company(30);
    for (let i = 1; i <= 10; i++) expect((await h.ask(cnpj, consNSU(i))).cStat).toBe('138');
    h.clock.advance(30 * MINUTE);
    for (let i = 11; i <= 20; i++) expect((await h.ask(cnpj, consNSU(i))).cStat).toBe('138');
    h.clock.advance(30 * MINUTE + 1);
    // the first ten are now more than an hour old: ten more fit, not eleven
    for (let i = 21; i <= 30; i++) expect((await h.ask(cnpj, consNSU(i))).cStat).toBe('138');
    expect((await h.ask(cnpj, consNSU(1))).cStat).toBe('656');
  });

  it('answers 589 to an NSU above maxNSU, 632 for a document older than 90 days, 236 and 640 for keys', async () => {
    const cnpj = company(6, 10);
    expect((await h.ask(cnpj, consNSU(7))).cStat).toBe('589');
    const key = h.sim.documents(cnpj).find((d) => d.kind === 'resNFe' || d.kind === 'procNFe')!.chNFe;
    const wrongDigit = key.slice(0, 43) + String((Number(key[43]) + 1) % 10);
    // buildDistDFeInt refuses to send a key with a wrong check digit: send it raw
    const raw = await h.post(
      `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><nfeDistDFeInteresse xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe"><nfeDadosMsg><distDFeInt xmlns="http://www.portalfiscal.inf.br/nfe" versao="1.01"><tpAmb>2</tpAmb><CNPJ>${cnpj}</CNPJ><consChNFe><chNFe>${wrongDigit}</chNFe></consChNFe></distDFeInt></nfeDadosMsg></nfeDistDFeInteresse></soap:Body></soap:Envelope>`,
      'application/soap+xml; charset=utf-8',
    );
    expect(raw.body).toContain('<cStat>236</cStat>');
    const stranger = await h.ask(cnpj, consChNFe(h.sim.documents(company(3))[0]!.chNFe));
    expect(stranger.cStat).toBe('640');

    h.clock.advance(81 * 24 * HOUR);
    expect((await h.ask(cnpj, consChNFe(key))).cStat).toBe('632');
    const old = await h.ask(cnpj, consNSU(1));
    expect([old.cStat, old.xMotivo]).toEqual(['632', 'Rejeicao: Solicitacao fora de prazo, a NF-e nao esta mais disponivel para download']);
  });
});

describe('656 blocks', () => {
  it('blocks every kind of call for an hour, and a call inside the hour restarts it', async () => {
    const cnpj = company(120);
    await h.ask(cnpj, distNSU(0));
    const t0 = h.clock.now();
    expect((await h.ask(cnpj, distNSU(7))).cStat).toBe('656');
    expect(h.sim.company(cnpj).blockedUntil).toBe(t0 + HOUR);

    h.clock.advance(59 * MINUTE);
    const inside = await h.ask(cnpj, consNSU(1));
    expect([inside.cStat, inside.xMotivo]).toEqual(['656', XMOTIVO_656_SEQUENCE]);
    expect(h.sim.company(cnpj).blockedUntil).toBe(t0 + 59 * MINUTE + HOUR);

    h.clock.advance(2 * MINUTE); // the first hour is over, the restarted one is not
    const still = await h.ask(cnpj, distNSU(50));
    expect([still.cStat, still.ultNSU, still.maxNSU]).toEqual(['656', nsu(50), ZERO]);
    expect(violationsOf(cnpj).map((v) => v.rule)).toEqual(['sequence', 'blocked', 'blocked']);

    h.clock.advance(HOUR);
    const after = await h.ask(cnpj, distNSU(50));
    expect([after.cStat, after.ultNSU]).toEqual(['138', nsu(100)]);
  });

  it('applies to the CNPJ only: another branch of the same certificate is not blocked', async () => {
    const blocked = company(3);
    const free = company(3);
    await h.ask(blocked, distNSU(0));
    expect((await h.ask(blocked, distNSU(0))).cStat).toBe('656');
    expect((await h.ask(free, distNSU(0))).cStat).toBe('138');
  });
});

describe('certificate and environment', () => {
  it('answers 593 when the CNPJ base differs from the certificate one', async () => {
    const a = await h.ask(OTHER_COMPANY, distNSU(0));
    expect([a.cStat, a.xMotivo]).toEqual(['593', 'Rejeicao: CNPJ-Base consultado difere do CNPJ-Base do Certificado Digital']);
    expect((await h.ask(CERT_CNPJ, distNSU(0))).cStat).not.toBe('593');
  });

  it('answers 489 to a CNPJ of the right shape and base but wrong check digits', async () => {
    // buildDistDFeInt refuses to send such a CNPJ: send it raw
    const a = await h.post(
      '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><nfeDistDFeInteresse xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe"><nfeDadosMsg><distDFeInt xmlns="http://www.portalfiscal.inf.br/nfe" versao="1.01"><tpAmb>2</tpAmb><CNPJ>11222333000182</CNPJ><distNSU><ultNSU>000000000000000</ultNSU></distNSU></distDFeInt></nfeDadosMsg></nfeDistDFeInteresse></soap:Body></soap:Envelope>',
      'application/soap+xml; charset=utf-8',
    );
    expect(a.body).toContain('<cStat>489</cStat><xMotivo>Rejeicao: CNPJ informado invalido (DV ou zeros)</xMotivo>');
  });

  it('answers 252 to the tpAmb of the other environment', async () => {
    const a = await h.ask(company(1), distNSU(0), { tpAmb: '1' });
    expect([a.cStat, a.xMotivo, a.tpAmb]).toEqual(['252', 'Rejeicao: Ambiente informado diverge do Ambiente de recebimento', '2']);
  });
});
