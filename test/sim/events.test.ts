/**
 * The simulator's NFeRecepcaoEvento4 over real mutual TLS on a ManualClock, spoken to by
 * the product's own event builder, signer, envelope and parser.
 */
import { describe, expect, it } from 'vitest';
import { decodePfx } from '../../src/cert/pkcs12.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import { EVENT_ACTION, EVENT_ACTION_SPED } from '../../src/sefaz/eventEnvelope.js';
import { parseEventResponse } from '../../src/sefaz/eventResponse.js';
import { formatDhEvento, type EventInput } from '../../src/sefaz/events.js';
import { buildAccessKey } from '../../src/sefaz/identifiers.js';
import { parseXml } from '../../src/sefaz/xml.js';
import { SOAP_NAMESPACES } from '../../src/sefaz/envelope.js';
import { event, manifest, post, postRaw, signedBatch, signer, TIME_ZONE } from './eventClient.js';
import { CERT_CNPJ, HOUR, MINUTE, OTHER_COMPANY, branch, distNSU, startHarness, useHarness } from './harness.js';
import { control } from './raw.js';
import { validateAll } from './xsd.js';

const DAY = 24 * HOUR;
const h = useHarness([CERT_CNPJ, OTHER_COMPANY]);

let nextBranch = 1;
/** A branch of CERT_CNPJ's company (signed for by the head office's certificate) with no documents yet. */
function company(): string {
  const cnpj = branch(nextBranch++);
  h.sim.addCompany(cnpj, { summariesOnly: true });
  return cnpj;
}
/** A new NF-e issued to `cnpj`, its resNFe received now; numeric keys only where a schema must validate it. */
function nfe(cnpj: string, cSitNFe?: '1' | '2' | '3', numericKey = false): string {
  for (;;) {
    const key = h.sim.addNFe(cnpj, cSitNFe === undefined ? {} : { cSitNFe }).chNFe;
    if (!numericKey || /^[0-9]{44}$/.test(key)) return key;
  }
}
const unknownKey = buildAccessKey({ cUF: '35', AAMM: '2611', CNPJ: OTHER_COMPANY, mod: '55', serie: '1', nNF: '77', tpEmis: '1', cNF: '12345678' });
const retEnvEventoOf = (body: string): string => /<retEnvEvento[\s\S]*<\/retEnvEvento>/.exec(body)![0];
const violationsOf = (cnpj: string) => h.sim.violations().filter((v) => v.cnpj === cnpj);

describe('a manifestation built, signed and sent by the client', () => {
  it('is registered: 128 with one 135 carrying nProt, in the form of the AN answer', async () => {
    const cnpj = company();
    const key = nfe(cnpj, '1', true);
    const batch = signedBatch([event(h, cnpj, key)], signer(h));
    const idLote = /<idLote>(\d+)</.exec(batch)![1]!;
    const answer = await post(h, batch);

    const r = parseEventResponse(answer.body, [{ chNFe: key, tpEvento: '210210' }]);
    expect([r.cStat, r.xMotivo, r.idLote, r.tpAmb, r.cOrgao, r.verAplic]).toEqual(['128', 'Lote de evento processado', idLote, '2', '91', 'AN_1.8.6']);
    const e = r.events[0]!;
    expect(e).toMatchObject({ chNFe: key, tpEvento: '210210', nSeqEvento: '1', cStat: '135', xMotivo: 'Evento registrado e vinculado a NF-e', outcome: 'registered' });
    expect(e.nProt).toMatch(/^89126[0-9]{10}$/);
    expect(e.dhRegEvento).toBe(formatDhEvento(h.clock.now(), TIME_ZONE));
    expect(answer.body.startsWith(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NAMESPACES['1.2']}"`)).toBe(true);
    expect(answer.body).toContain(
      '<nfeRecepcaoEventoNFResult xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4">' +
        `<retEnvEvento versao="1.00" xmlns="http://www.portalfiscal.inf.br/nfe"><idLote>${idLote}</idLote>`,
    );
    expect(answer.body).toContain(
      `<retEvento versao="1.00"><infEvento Id="ID${e.nProt}"><tpAmb>2</tpAmb><verAplic>AN_1.8.6</verAplic><cOrgao>91</cOrgao>` +
        `<cStat>135</cStat><xMotivo>Evento registrado e vinculado a NF-e</xMotivo><chNFe>${key}</chNFe><tpEvento>210210</tpEvento>` +
        `<xEvento>Ciencia da Operacao</xEvento><nSeqEvento>1</nSeqEvento><CNPJDest>${cnpj}</CNPJDest>` +
        `<dhRegEvento>${e.dhRegEvento}</dhRegEvento><nProt>${e.nProt}</nProt></infEvento></retEvento>`,
    );

    expect(h.sim.calls().at(-1)).toMatchObject({
      op: 'envEvento', cnpj, idLote, cStat: '128', soap: '1.2',
      events: [{ chNFe: key, tpEvento: '210210', nSeqEvento: '1', cStat: '135', nProt: e.nProt }],
    });
    expect(h.sim.events(cnpj)).toEqual([
      {
        nProt: e.nProt, cnpj, chNFe: key, tpEvento: '210210', nSeqEvento: 1, dhEvento: e.dhRegEvento, dhRegEvento: e.dhRegEvento,
        at: h.clock.now(), signerCnpj: CERT_CNPJ, idLote, fullDocumentAt: h.clock.now() + 10 * MINUTE,
      },
    ]);
  });

  it('is answered with a retEnvEvento valid against retEnvEvento_v1.00.xsd, registered, refused or not processed', async () => {
    const cnpj = company();
    const key = nfe(cnpj, '1', true);
    const batch = signedBatch([event(h, cnpj, key), event(h, cnpj, nfe(cnpj, '3', true))], signer(h));
    const processed = retEnvEventoOf((await post(h, batch)).body);
    const refused = retEnvEventoOf((await post(h, batch.replace(/<idLote>\d+</, '<idLote>ba5dc7cacc9643b<'))).body);
    expect(processed).toMatch(/<cStat>135<[\s\S]*<cStat>650</);
    expect(refused).toContain('<idLote>000000000000000</idLote>');
    expect(await validateAll('evento_generico', 'retEnvEvento_v1.00.xsd', [processed, refused])).toEqual([[], []]);
  });

  it('may be a batch: each event answered in order, the batch processed as a whole', async () => {
    const cnpj = company();
    const [a, b, c] = [nfe(cnpj), nfe(cnpj), nfe(cnpj)];
    const r = await manifest(h, [
      event(h, cnpj, a),
      event(h, cnpj, b, '210200'),
      event(h, cnpj, unknownKey),
      event(h, cnpj, c, '210240', { xJust: 'Mercadoria recusada no recebimento' }),
    ]);
    expect(r.cStat).toBe('128');
    expect(r.events.map((e) => [e.chNFe, e.cStat])).toEqual([[a, '135'], [b, '135'], [unknownKey, '494'], [c, '135']]);
    expect(new Set(r.events.map((e) => e.nProt).filter((p) => p !== null)).size).toBe(3);
    expect(h.sim.events(cnpj).map((e) => e.tpEvento)).toEqual(['210210', '210200', '210240']);
  });

  it('is accepted with either action string, in SOAP 1.1, and with nfeDadosMsg inside an operation element', async () => {
    const cnpj = company();
    const batch = (): string => signedBatch([event(h, cnpj, nfe(cnpj))], signer(h));
    for (const action of [EVENT_ACTION, EVENT_ACTION_SPED]) {
      expect(parseEventResponse((await post(h, batch(), { action })).body).events[0]?.cStat).toBe('135');
    }
    const soap11 =
      `<soap:Envelope xmlns:soap="${SOAP_NAMESPACES['1.1']}"><soap:Body><nfeRecepcaoEvento xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4">` +
      `<nfeDadosMsg>${batch()}</nfeDadosMsg></nfeRecepcaoEvento></soap:Body></soap:Envelope>`;
    const a = await postRaw(h, soap11, 'text/xml; charset=utf-8', CERT_CNPJ, `"${EVENT_ACTION_SPED}"`);
    expect(a.body).toContain(`<soap:Envelope xmlns:soap="${SOAP_NAMESPACES['1.1']}"`);
    expect(parseEventResponse(a.body).events[0]?.cStat).toBe('135');
    expect(h.sim.calls().at(-1)).toMatchObject({ op: 'envEvento', soap: '1.1', cStat: '128' });
  });

  it('with an action of another operation gets a SOAP Fault and is not processed', async () => {
    const cnpj = company();
    const wrong = 'http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4/nfeOutra';
    await expect(post(h, signedBatch([event(h, cnpj, nfe(cnpj))], signer(h)), { action: wrong })).rejects.toMatchObject({ status: 500 });
    expect(h.sim.events(cnpj)).toEqual([]);
    expect(h.sim.calls().at(-1)).toMatchObject({ op: 'envEvento', cStat: null, rule: 'schema' });
  });
});

describe('signature and signing certificate', () => {
  it('297 when the signed event was changed, or its SignatureValue', async () => {
    const cnpj = company();
    const key = nfe(cnpj);
    const signed = signedBatch([event(h, cnpj, key)], signer(h));
    const changedEvent = signed.replace(/<dhEvento>20(\d\d)/, (_m, yy: string) => `<dhEvento>20${Number(yy) - 1}`);
    expect(changedEvent).not.toBe(signed);
    const changedValue = signed.replace(/<SignatureValue>(.)/, (_m, c: string) => `<SignatureValue>${c === 'A' ? 'B' : 'A'}`);
    for (const tampered of [changedEvent, changedValue]) {
      const r = parseEventResponse((await post(h, tampered)).body);
      expect(r.events[0]).toMatchObject({ cStat: '297', xMotivo: 'Rejeicao: Assinatura difere do calculado', nProt: null, outcome: 'rejected' });
    }
    expect(h.sim.events(cnpj)).toEqual([]);
    expect((await manifest(h, [event(h, cnpj, key)])).events[0]?.cStat).toBe('135');
  });

  it("213 when the certificate's CNPJ base is not the author's; a branch signing with its head office's certificate is accepted", async () => {
    const cnpj = company();
    expect(cnpj.slice(8, 12)).not.toBe('0001');
    const key = nfe(cnpj);
    const other = await manifest(h, [event(h, cnpj, key)], OTHER_COMPANY);
    expect(other.events[0]).toMatchObject({ cStat: '213', xMotivo: 'Rejeicao: CNPJ-Base do Autor difere do CNPJ-Base do Certificado Digital' });
    const head = await manifest(h, [event(h, cnpj, key)], CERT_CNPJ);
    expect(head.events[0]?.cStat).toBe('135');
    expect(h.sim.events(cnpj)).toMatchObject([{ cnpj, signerCnpj: CERT_CNPJ }]);
  });

  it('293 when the signing certificate does not chain to the trusted CA', async () => {
    const cnpj = company();
    const stranger = decodePfx(makeClientPfx(makeTestCA(), { cnpj: CERT_CNPJ, password: 'x' }), 'x', 'stranger.pfx');
    const answer = await post(h, signedBatch([event(h, cnpj, nfe(cnpj))], stranger));
    expect(parseEventResponse(answer.body).events[0]).toMatchObject({ cStat: '293', outcome: 'rejected' });
  });
});

describe("SEFAZ's rules for the recipient's events", () => {
  it('573 for an event registered before; sending it again after that answer is a violation', async () => {
    const cnpj = company();
    const key = nfe(cnpj);
    const first = await manifest(h, [event(h, cnpj, key)]);
    expect(first.events[0]?.cStat).toBe('135');
    h.clock.advance(MINUTE);
    const again = await manifest(h, [event(h, cnpj, key)]);
    expect(again.events[0]).toMatchObject({ cStat: '573', xMotivo: 'Rejeicao: Duplicidade de Evento', nProt: null, outcome: 'duplicate' });
    expect(h.sim.events(cnpj)).toHaveLength(1);
    expect(violationsOf(cnpj)).toMatchObject([{ op: 'envEvento', rule: 'event-repeated', call: h.sim.calls().at(-1)!.seq }]);
  });

  it('650 for a cancelled or denied NF-e, 651 for a Desconhecimento of one', async () => {
    const cnpj = company();
    const cancelled = nfe(cnpj, '3');
    const denied = nfe(cnpj, '2');
    expect(h.sim.documents(cnpj).map((d) => /<cSitNFe>(\d)</.exec(d.xml)?.[1])).toEqual(['3', '2']);
    const r = await manifest(h, [
      event(h, cnpj, cancelled),
      event(h, cnpj, denied, '210200'),
      event(h, cnpj, cancelled, '210220', { xJust: 'Nao reconhecemos esta operacao' }),
    ]);
    expect(r.events.map((e) => [e.cStat, e.outcome])).toEqual([
      ['650', 'cancelled-or-denied'],
      ['650', 'cancelled-or-denied'],
      ['651', 'cancelled-or-denied'],
    ]);
    expect(r.events[0]?.xMotivo).toBe('Rejeicao: Evento de "Ciencia da Emissao" para NF-e Cancelada ou Denegada');
  });

  it("494 for a key SEFAZ does not know, 575 for another recipient's NF-e", async () => {
    const cnpj = company();
    const neighbour = company();
    const theirs = nfe(neighbour);
    const r = await manifest(h, [event(h, cnpj, unknownKey), event(h, cnpj, theirs)]);
    expect(r.events.map((e) => [e.cStat, e.xMotivo])).toEqual([
      ['494', 'Rejeicao: Chave de Acesso inexistente'],
      ['575', 'Rejeicao: O autor do evento diverge do destinatario da NF-e'],
    ]);
  });

  it('655 for a Ciência after a conclusive manifestation, 594 past nSeqEvento 2', async () => {
    const cnpj = company();
    const key = nfe(cnpj);
    const r = await manifest(h, [
      event(h, cnpj, key, '210200'),
      event(h, cnpj, key, '210200', { nSeqEvento: 2 }),
      event(h, cnpj, key, '210200', { nSeqEvento: 3 }),
      event(h, cnpj, key),
    ]);
    expect(r.events.map((e) => [e.cStat, e.outcome])).toEqual([
      ['135', 'registered'],
      ['135', 'registered'],
      ['594', 'rejected'],
      ['655', 'superseded'],
    ]);
  });

  it('252, 572, 657, 491, 492 and 493 for what the general and per-event schemas refuse in one event', async () => {
    const cnpj = company();
    const id = signer(h);
    const one = (over: Partial<EventInput> = {}, edit?: (xml: string) => string) =>
      signedBatch([event(h, cnpj, nfe(cnpj), '210210', over)], id, edit);
    const cases: [string, string][] = [
      [one({ tpAmb: '1' }), '252'],
      [one({}, (x) => x.replace(/Id="ID([0-9A-Z]{50})01"/, 'Id="ID$102"')), '572'],
      [one({}, (x) => x.replace('<cOrgao>91</cOrgao>', '<cOrgao>35</cOrgao>')), '657'],
      [one({}, (x) => x.replace(/ID210210/, 'ID110111').replace('<tpEvento>210210', '<tpEvento>110111')), '491'],
      [one({}, (x) => x.replace('<verEvento>1.00', '<verEvento>2.00')), '492'],
      // Operacao nao Realizada without the justification its schema requires
      [one({}, (x) => x.replace(/ID210210/, 'ID210240').replace('<tpEvento>210210', '<tpEvento>210240').replace('Ciencia da Operacao', 'Operacao nao Realizada')), '493'],
      [one({}, (x) => x.replace('Ciencia da Operacao', 'Ciência da Operação')), '493'],
    ];
    for (const [batch, cStat] of cases) {
      expect(parseEventResponse((await post(h, batch)).body).events[0]?.cStat, batch).toBe(cStat);
    }
    expect(h.sim.events(cnpj)).toEqual([]);
  });

  it('578 for a dhEvento ahead of SEFAZ (UTC written with -03:00)', async () => {
    const cnpj = company();
    const ahead = formatDhEvento(h.clock.now() + 3 * HOUR, TIME_ZONE);
    const r = await manifest(h, [event(h, cnpj, nfe(cnpj), '210210', { dhEvento: ahead })]);
    expect(r.events[0]).toMatchObject({ cStat: '578', outcome: 'rejected' });
  });

  it('596 for a Ciência more than 10 days after the authorization, while a Confirmação has 90; the deadlines are options', async () => {
    const cnpj = company();
    const [a, b] = [nfe(cnpj), nfe(cnpj)];
    h.clock.advance(10 * DAY + HOUR);
    const r = await manifest(h, [event(h, cnpj, a), event(h, cnpj, b, '210200')]);
    expect(r.events.map((e) => [e.cStat, e.outcome])).toEqual([['596', 'out-of-deadline'], ['135', 'registered']]);
    expect(r.events[0]?.xMotivo).toBe('Rejeicao: Evento apresentado fora do prazo: 10 dias');

    const lenient = await startHarness(h.material, { eventDeadlineDays: { '210210': 30 } });
    try {
      const other = branch(900);
      lenient.sim.addCompany(other, { summariesOnly: true });
      const [early, late] = [lenient.sim.addNFe(other).chNFe, lenient.sim.addNFe(other).chNFe];
      lenient.clock.advance(20 * DAY);
      expect((await manifest(lenient, [event(lenient, other, early)])).events[0]?.cStat).toBe('135');
      lenient.clock.advance(10 * DAY + MINUTE);
      expect((await manifest(lenient, [event(lenient, other, late)])).events[0]?.xMotivo).toBe('Rejeicao: Evento apresentado fora do prazo: 30 dias');
    } finally {
      await lenient.stop();
    }
  });
});

describe('the batch refused as a whole (225, no retEvento)', () => {
  const refusedIn = async (body: string) => {
    const r = parseEventResponse((await postRaw(h, body, 'application/soap+xml; charset=utf-8')).body);
    return [r.cStat, r.xMotivo, r.idLote, r.events.length];
  };
  const envelope = (envEvento: string) =>
    `<soap12:Envelope xmlns:soap12="${SOAP_NAMESPACES['1.2']}"><soap12:Body><nfeDadosMsg xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4">${envEvento}</nfeDadosMsg></soap12:Body></soap12:Envelope>`;
  const SCHEMA = 'Rejeicao: Falha no Esquema XML do lote de NF-e';

  it('for an idLote that is not numeric (the real 2025 answer), a broken XML, an unknown element, more than 20 events', async () => {
    const cnpj = company();
    const signed = signedBatch([event(h, cnpj, nfe(cnpj))], signer(h));
    const idLote = /<idLote>(\d+)</.exec(signed)![1];
    const evento = /<evento[\s>][\s\S]*<\/evento>/.exec(signed)![0];
    const many = signedBatch(
      Array.from({ length: 20 }, () => event(h, cnpj, nfe(cnpj))),
      signer(h),
    ).replace('</envEvento>', `${evento}</envEvento>`);
    expect(await refusedIn(envelope(signed.replace(/<idLote>\d+</, '<idLote>ba5dc7cacc9643b<')))).toEqual(['225', SCHEMA, '000000000000000', 0]);
    expect(await refusedIn(envelope(signed.replace('</infEvento>', '</infEvent>')))).toEqual(['225', SCHEMA, '000000000000000', 0]);
    expect(await refusedIn(envelope(signed.replace('<verEvento>', '<extra>1</extra><verEvento>')))).toEqual(['225', SCHEMA, idLote, 0]);
    expect(await refusedIn(envelope(signed.replace('Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"', 'Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"')))).toEqual(['225', SCHEMA, idLote, 0]);
    expect((await refusedIn(envelope(many))).slice(0, 2)).toEqual(['225', SCHEMA]);
    expect(await refusedIn(envelope(signed.replace('<idLote>', '\n<idLote>')))).toEqual(['588', expect.stringContaining('caracteres de edicao'), idLote, 0]);
    expect(h.sim.events(cnpj)).toEqual([]);
    expect(h.sim.calls().at(-1)).toMatchObject({ op: 'envEvento', cStat: '588', rule: 'schema' });
  });
});

describe('the full NF-e after a manifestation', () => {
  it('a Ciência makes the procNFe of the same invoice a new NSU after the delay, distributed by distNSU', async () => {
    const cnpj = branch(nextBranch++);
    h.sim.addCompany(cnpj, { documents: 3, spreadDays: 1, summariesOnly: true });
    const first = await h.ask(cnpj, distNSU(0));
    expect([first.cStat, first.ultNSU, first.maxNSU, first.docs.map((d) => d.kind)]).toEqual(['138', '000000000000003', '000000000000003', ['resNFe', 'resNFe', 'resNFe']]);
    const summary = first.docs[1]!;
    const key = summary.chNFe!;

    expect((await manifest(h, [event(h, cnpj, key)])).events[0]?.cStat).toBe('135');
    h.clock.advance(10 * MINUTE - 1);
    expect(h.sim.documents(cnpj)).toHaveLength(3);
    h.clock.advance(1);
    expect(h.sim.documents(cnpj).map((d) => [d.NSU, d.kind, d.chNFe]).at(-1)).toEqual(['000000000000004', 'procNFe', key]);
    expect(h.sim.events(cnpj)[0]?.fullDocumentAt).toBe(h.clock.now());

    // A repeat, a later conclusive manifestation and a Desconhecimento release nothing more.
    expect((await manifest(h, [event(h, cnpj, key)])).events[0]?.cStat).toBe('573');
    const other = first.docs[2]!.chNFe!;
    const later = await manifest(h, [event(h, cnpj, key, '210200'), event(h, cnpj, other, '210220')]);
    expect(later.events.map((e) => e.cStat)).toEqual(['135', '135']);
    h.clock.advance(HOUR);
    expect(h.sim.documents(cnpj)).toHaveLength(4);
    expect(h.sim.events(cnpj).map((e) => e.fullDocumentAt === null)).toEqual([false, true, true]);

    const next = await h.ask(cnpj, distNSU(3));
    expect([next.cStat, next.ultNSU, next.maxNSU]).toEqual(['138', '000000000000004', '000000000000004']);
    const full = next.docs[0]!;
    expect([full.NSU, full.schema, full.kind, full.chNFe]).toEqual(['000000000000004', 'procNFe_v4.00.xsd', 'procNFe', key]);
    const res = (parseXml(summary.xml!.toString('utf8')) as { resNFe: Record<string, string> }).resNFe;
    const proc = parseXml(full.xml!.toString('utf8')) as {
      nfeProc: { NFe: { infNFe: { ide: Record<string, string>; emit: Record<string, string>; dest: Record<string, string>; total: { ICMSTot: Record<string, string> } } }; protNFe: { infProt: Record<string, string> } };
    };
    const inf = proc.nfeProc.NFe.infNFe;
    expect([inf.emit['CNPJ'], inf.emit['xNome'], inf.emit['IE'], inf.ide['dhEmi'], inf.total.ICMSTot['vNF'], inf.dest['CNPJ']]).toEqual([
      res['CNPJ'], res['xNome'], res['IE'], res['dhEmi'], res['vNF'], cnpj,
    ]);
    const prot = proc.nfeProc.protNFe.infProt;
    expect([prot['chNFe'], prot['nProt'], prot['dhRecbto'], prot['digVal']]).toEqual([key, res['nProt'], res['dhRecbto'], res['digVal']]);
  });

  it('so does an Operação não Realizada, and fullDocumentDelayMs sets the delay', async () => {
    const quick = await startHarness(h.material, { fullDocumentDelayMs: 0 });
    try {
      const cnpj = branch(901);
      quick.sim.addCompany(cnpj, { summariesOnly: true });
      const key = quick.sim.addNFe(cnpj).chNFe;
      const r = await manifest(quick, [event(quick, cnpj, key, '210240', { xJust: 'Mercadoria nao foi entregue pelo transportador' })]);
      expect(r.events[0]?.cStat).toBe('135');
      expect(quick.sim.documents(cnpj).map((d) => [d.kind, d.chNFe])).toEqual([['resNFe', key], ['procNFe', key]]);
    } finally {
      await quick.stop();
    }
  });
});

describe('faults on envEvento', () => {
  it('reset and truncate lose the answer of a registered event: the retry gets 573, no violation', async () => {
    for (const kind of ['reset', 'truncate'] as const) {
      const cnpj = company();
      const key = nfe(cnpj);
      h.sim.injectFault({ cnpj, op: 'envEvento', fault: { kind } });
      await expect(manifest(h, [event(h, cnpj, key)])).rejects.toMatchObject({ code: kind === 'reset' ? 'CONNECTION_RESET' : 'TRUNCATED_RESPONSE' });
      expect(h.sim.calls().at(-1)).toMatchObject({ op: 'envEvento', fault: kind, answerLost: true, events: [{ cStat: '135' }] });
      expect(h.sim.events(cnpj)).toHaveLength(1);
      expect((await manifest(h, [event(h, cnpj, key)])).events[0]?.outcome).toBe('duplicate');
      expect(violationsOf(cnpj)).toEqual([]);
    }
  });

  it('http500 and cStat 109 come back without the events being processed; latency only delays', async () => {
    const cnpj = company();
    const key = nfe(cnpj);
    h.sim.injectFault({ cnpj, op: 'distNSU', fault: { kind: 'http500' } });
    h.sim.injectFault({ cnpj, op: 'envEvento', fault: { kind: 'http500' } });
    h.sim.injectFault({ cnpj, op: 'envEvento', fault: { kind: 'cStat', cStat: '109' } });
    h.sim.injectFault({ cnpj, op: 'envEvento', fault: { kind: 'latency', ms: 20 } });
    await expect(manifest(h, [event(h, cnpj, key)])).rejects.toMatchObject({ code: 'HTTP_STATUS', status: 500 });
    const busy = await manifest(h, [event(h, cnpj, key)]);
    expect([busy.cStat, busy.events[0]?.outcome]).toEqual(['109', 'retry-later']);
    expect(h.sim.events(cnpj)).toEqual([]);
    expect((await manifest(h, [event(h, cnpj, key)])).events[0]?.cStat).toBe('135');
    expect(h.sim.calls().filter((c) => c.cnpj === cnpj).map((c) => [c.op, c.cStat, c.fault])).toEqual([
      ['envEvento', null, 'http500'],
      ['envEvento', '109', 'cStat'],
      ['envEvento', '128', 'latency'],
    ]);
    expect(violationsOf(cnpj)).toEqual([]);
  });
});

describe('control API', () => {
  it('GET /sim/events lists the registered events; POST /sim/nfe issues an NF-e', async () => {
    const cnpj = company();
    const identity = h.material.identities.get(CERT_CNPJ)!;
    const issued = await control(h.sim.url, h.material.ca, identity, 'POST', '/sim/nfe', { cnpj, cSitNFe: '1' });
    expect(issued).toMatchObject({ status: 200, json: { NSU: '000000000000001', kind: 'resNFe' } });
    const key = (issued.json as { chNFe: string }).chNFe;
    await manifest(h, [event(h, cnpj, key)]);
    const listed = await control(h.sim.url, h.material.ca, identity, 'GET', `/sim/events?cnpj=${cnpj}`);
    expect(listed).toMatchObject({ status: 200, json: [{ cnpj, chNFe: key, tpEvento: '210210', signerCnpj: CERT_CNPJ }] });
    expect((await control(h.sim.url, h.material.ca, identity, 'GET', '/sim/events')).json).toEqual(h.sim.events());
  });
});
