import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ResponseParseError, SoapFaultError } from '../../src/sefaz/errors.js';
import {
  eventOutcomeOf, isFinal, parseEventResponse, type EventOutcome, type SentEvent,
} from '../../src/sefaz/eventResponse.js';
import { samplePath } from '../helpers/reference.js';

const KEY = '41241275104406000547550010001618511133300785';
const KEY2 = '35260305730928000145550010000001421071400478';
const NFE = 'http://www.portalfiscal.inf.br/nfe';
const WSDL = 'http://www.portalfiscal.inf.br/nfe/wsdl/NFeRecepcaoEvento4';

interface Ret {
  cStat: string;
  xMotivo: string;
  chNFe?: string;
  tpEvento?: string;
  nSeqEvento?: string;
  nProt?: string;
}

/** A retEnvEvento as the AN writes it (retEnvConfRecebto layout). */
function retEnvEvento(batch: { cStat: string; xMotivo: string; idLote?: string }, rets: Ret[] = []): string {
  const ret = (r: Ret) =>
    '<retEvento versao="1.00"><infEvento>' +
    `<tpAmb>1</tpAmb><verAplic>AN_1.8.6</verAplic><cOrgao>91</cOrgao><cStat>${r.cStat}</cStat><xMotivo>${r.xMotivo}</xMotivo>` +
    (r.chNFe ? `<chNFe>${r.chNFe}</chNFe>` : '') +
    (r.tpEvento ? `<tpEvento>${r.tpEvento}</tpEvento><xEvento>Ciencia da Operacao</xEvento>` : '') +
    (r.nSeqEvento ? `<nSeqEvento>${r.nSeqEvento}</nSeqEvento>` : '') +
    (r.chNFe ? '<CNPJDest>58716523000119</CNPJDest>' : '') +
    '<dhRegEvento>2026-03-02T09:15:02-03:00</dhRegEvento>' +
    (r.nProt ? `<nProt>${r.nProt}</nProt>` : '') +
    '</infEvento></retEvento>';
  return (
    `<retEnvEvento versao="1.00" xmlns="${NFE}"><idLote>${batch.idLote ?? '260302091500123'}</idLote><tpAmb>1</tpAmb>` +
    `<verAplic>AN_1.8.6</verAplic><cOrgao>91</cOrgao><cStat>${batch.cStat}</cStat><xMotivo>${batch.xMotivo}</xMotivo>` +
    rets.map(ret).join('') +
    '</retEnvEvento>'
  );
}

const soap12 = (inner: string, wrapper = 'nfeRecepcaoEventoNFResult') =>
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">' +
  `<soap:Body><${wrapper} xmlns="${WSDL}">${inner}</${wrapper}></soap:Body></soap:Envelope>`;
const soap11 = (inner: string, wrapper = 'nfeResultMsg') =>
  `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><${wrapper} xmlns="${WSDL}">${inner}</${wrapper}></env:Body></env:Envelope>`;

const processed = { cStat: '128', xMotivo: 'Lote de evento processado' };
const ciencia = (cStat: string, xMotivo: string, over: Partial<Ret> = {}): Ret => ({
  cStat, xMotivo, chNFe: KEY, tpEvento: '210210', nSeqEvento: '1', ...over,
});

describe('parseEventResponse', () => {
  it('reads the nfelib MDe mock (SOAP 1.1, nfeRecepcaoEventoNFResult)', () => {
    const body = readFileSync(samplePath('nfelib_test_mde_client_retEnvEvento_210210_soap11_mock.xml'));
    const result = parseEventResponse(body);
    expect(result).toEqual({
      tpAmb: '1',
      verAplic: 'AN_1.1.3',
      cOrgao: '91',
      cStat: '128',
      xMotivo: 'Lote de evento processado',
      idLote: '1',
      events: [{
        chNFe: '35200309091076000144550010001807401003642343',
        tpEvento: '210210',
        nSeqEvento: '1',
        cStat: '135',
        xMotivo: 'Evento registrado e vinculado a NF-e',
        nProt: '123456789012346',
        dhRegEvento: '2020-11-20T07:55:59-03:00',
        outcome: 'registered',
      }],
    });
    expect(parseEventResponse(body.toString('utf8'))).toEqual(result);
  });

  it('gives each event its outcome and tells which are final', () => {
    const cases: [Ret, EventOutcome, boolean][] = [
      [ciencia('135', 'Evento registrado e vinculado a NF-e', { nProt: '891260000012345' }), 'registered', true],
      [ciencia('136', 'Evento registrado, mas nao vinculado a NF-e', { nProt: '891260000012346', tpEvento: '210200' }), 'registered', true],
      [ciencia('573', 'Rejeicao: Duplicidade de Evento', { tpEvento: '210220' }), 'duplicate', true],
      [ciencia('655', 'Rejeicao: Evento de Ciencia da Emissao informado apos a manifestacao final do destinatario', { chNFe: KEY2 }), 'superseded', true],
      [ciencia('596', 'Rejeicao: Evento apresentado fora do prazo: [180 dias]', { tpEvento: '210240' }), 'out-of-deadline', true],
      [ciencia('650', 'Rejeicao: Evento de "Ciencia da Emissao" para NF-e Cancelada ou Denegada', { chNFe: KEY2, tpEvento: '210200' }), 'cancelled-or-denied', true],
      [ciencia('651', 'Rejeicao: Evento de "Desconhecimento da Operacao" para NF-e Cancelada ou Denegada', { chNFe: KEY2, tpEvento: '210220' }), 'cancelled-or-denied', true],
      [ciencia('494', 'Rejeicao: Chave de Acesso inexistente', { chNFe: KEY2, tpEvento: '210240' }), 'rejected', true],
      [ciencia('575', 'Rejeicao: O autor do evento diverge do destinatario da NF-e', { nSeqEvento: '2' }), 'rejected', true],
      [ciencia('999', 'Rejeicao: Erro nao catalogado', { nSeqEvento: '3' }), 'retry-later', false],
    ];
    const result = parseEventResponse(soap12(retEnvEvento(processed, cases.map(([r]) => r))));
    expect(result.cStat).toBe('128');
    expect(result.events).toHaveLength(cases.length);
    cases.forEach(([ret, outcome, final], i) => {
      const event = result.events[i]!;
      expect(event).toEqual({
        chNFe: ret.chNFe, tpEvento: ret.tpEvento, nSeqEvento: ret.nSeqEvento, cStat: ret.cStat, xMotivo: ret.xMotivo,
        nProt: ret.nProt ?? null, dhRegEvento: '2026-03-02T09:15:02-03:00', outcome,
      });
      expect(eventOutcomeOf(ret.cStat)).toBe(outcome);
      expect(isFinal(event.outcome)).toBe(final);
    });
  });

  it('reads the same answer in SOAP 1.2, SOAP 1.1, wrapped, bare, with a BOM', () => {
    const inner = retEnvEvento(processed, [ciencia('135', 'Evento registrado e vinculado a NF-e', { nProt: '891260000012345' })]);
    const expected = parseEventResponse(inner);
    expect(expected.events[0]!.nProt).toBe('891260000012345');
    const forms = [
      soap12(inner),
      soap12(inner, 'nfeResultMsg'),
      soap11(inner),
      soap11(inner, 'nfeRecepcaoEventoNFResult'),
      soap12(`<nfeRecepcaoEventoResult>${inner}</nfeRecepcaoEventoResult>`, 'nfeRecepcaoEventoResponse'),
      `<soap:Envelope xmlns:soap="${'http://www.w3.org/2003/05/soap-envelope'}"><soap:Body>${inner}</soap:Body></soap:Envelope>`,
      `\uFEFF<?xml version="1.0" encoding="utf-8"?>\n${inner}`,
    ];
    for (const form of forms) expect(parseEventResponse(Buffer.from(form, 'utf8'))).toEqual(expected);
  });

  it('turns a batch refused as a whole into a final rejection of every event sent', () => {
    // the AN's answer to a batch with a non-numeric idLote (PROTOCOL.md §2 B)
    const body = soap12(retEnvEvento({ cStat: '225', xMotivo: 'Rejeicao: Falha no Esquema XML do lote de NF-e', idLote: '000000000000000' }));
    const bare = parseEventResponse(body);
    expect(bare).toMatchObject({ cStat: '225', idLote: '000000000000000', verAplic: 'AN_1.8.6', cOrgao: '91', events: [] });
    const sent: SentEvent[] = [{ chNFe: KEY, tpEvento: '210210' }, { chNFe: KEY2, tpEvento: '210240', nSeqEvento: 2 }];
    const result = parseEventResponse(body, sent);
    expect(result.events).toEqual([
      { chNFe: KEY, tpEvento: '210210', nSeqEvento: '1', cStat: '225', xMotivo: 'Rejeicao: Falha no Esquema XML do lote de NF-e', nProt: null, dhRegEvento: null, outcome: 'rejected' },
      { chNFe: KEY2, tpEvento: '210240', nSeqEvento: '2', cStat: '225', xMotivo: 'Rejeicao: Falha no Esquema XML do lote de NF-e', nProt: null, dhRegEvento: null, outcome: 'rejected' },
    ]);
    expect(result.events.every((e) => isFinal(e.outcome))).toBe(true);
  });

  it('keeps a batch SEFAZ could not process (108) for a later try', () => {
    const body = retEnvEvento({ cStat: '108', xMotivo: 'Servico Paralisado Momentaneamente (curto prazo)' });
    const result = parseEventResponse(body, [{ chNFe: KEY, tpEvento: '210210' }]);
    expect(result.events.map((e) => [e.cStat, e.outcome])).toEqual([['108', 'retry-later']]);
    expect(isFinal(result.events[0]!.outcome)).toBe(false);
  });

  it('lines the answers up with the events sent: by key, keyless ones in order, missing ones retried', () => {
    const body = retEnvEvento(processed, [
      ciencia('135', 'Evento registrado e vinculado a NF-e', { chNFe: KEY2, tpEvento: '210200', nSeqEvento: '01', nProt: '891260000000002' }),
      { cStat: '215', xMotivo: 'Rejeicao: Falha no schema XML' },
      ciencia('573', 'Rejeicao: Duplicidade de Evento'),
    ]);
    const sent: SentEvent[] = [
      { chNFe: KEY, tpEvento: '210210', nSeqEvento: 1 },
      { chNFe: KEY, tpEvento: '210240' },
      { chNFe: KEY2, tpEvento: '210200', nSeqEvento: '1' },
      { chNFe: KEY2, tpEvento: '210220' },
    ];
    const events = parseEventResponse(body, sent).events;
    expect(events.map((e) => [e.chNFe, e.tpEvento, e.nSeqEvento, e.cStat, e.outcome])).toEqual([
      [KEY, '210210', '1', '573', 'duplicate'],
      [KEY, '210240', '1', '215', 'rejected'],
      [KEY2, '210200', '01', '135', 'registered'],
      [KEY2, '210220', '1', '128', 'retry-later'],
    ]);
    expect(events[2]!.nProt).toBe('891260000000002');
    expect(events[3]!.xMotivo).toMatch(/no result for this event/);
  });

  it('raises the SOAP Fault as SoapFaultError', () => {
    const fault12 =
      '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>' +
      '<soap:Reason><soap:Text xml:lang="pt">Servidor indisponivel</soap:Text></soap:Reason></soap:Fault></soap:Body></soap:Envelope>';
    const fault11 =
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>Action desconhecida</faultstring></s:Fault></s:Body></s:Envelope>';
    for (const [body, code, reason] of [[fault12, 'soap:Receiver', 'Servidor indisponivel'], [fault11, 's:Client', 'Action desconhecida']] as const) {
      try {
        parseEventResponse(body);
        throw new Error('expected a SoapFaultError');
      } catch (err) {
        expect(err).toBeInstanceOf(SoapFaultError);
        expect((err as SoapFaultError).faultCode).toBe(code);
        expect((err as SoapFaultError).reason).toBe(reason);
      }
    }
  });

  it('raises ResponseParseError for what it cannot understand', () => {
    const bad: [string, RegExp][] = [
      ['<html><body>502 Bad Gateway', /not well-formed|no retEnvEvento/],
      ['Service Unavailable', /not well-formed|no retEnvEvento/],
      [soap12('<retDistDFeInt xmlns="http://www.portalfiscal.inf.br/nfe"><cStat>138</cStat></retDistDFeInt>'), /no retEnvEvento/],
      [retEnvEvento({ cStat: '', xMotivo: 'x' }), /retEnvEvento has no valid cStat/],
      [retEnvEvento({ cStat: '12a', xMotivo: 'x' }), /retEnvEvento has no valid cStat \(got "12a"\)/],
      [retEnvEvento(processed, [ciencia('1350', 'x')]), /retEvento 1 has no valid cStat/],
      [retEnvEvento(processed).replace('</retEnvEvento>', '<retEvento versao="1.00"></retEvento></retEnvEvento>'), /retEvento 1 has no infEvento/],
    ];
    for (const [body, pattern] of bad) {
      try {
        parseEventResponse(body);
        throw new Error(`expected a ResponseParseError for ${body}`);
      } catch (err) {
        expect(err, body).toBeInstanceOf(ResponseParseError);
        expect((err as ResponseParseError).code).toBe('UNPARSABLE_RESPONSE');
        expect((err as Error).message).toMatch(pattern);
      }
    }
  });
});
