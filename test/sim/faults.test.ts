/** Injected faults, scripted answers, another system on the same CNPJ, the violation log and the control API. */
import { describe, expect, it } from 'vitest';
import { XMOTIVO_656_LIMIT_20, XMOTIVO_656_SEQUENCE } from '../../src/sefaz/catalog.js';
import { ResponseParseError } from '../../src/sefaz/errors.js';
import { SoapTransport } from '../../src/transport/soapTransport.js';
import { buildDistEnvelope } from '../../src/sefaz/envelope.js';
import { SefazSimulator, type SimCall } from '../../src/sim/index.js';
import { CERT_CNPJ, HOUR, MINUTE, branch, consNSU, distNSU, useHarness } from './harness.js';
import { control } from './raw.js';

const nsu = (n: number): string => String(n).padStart(15, '0');

const h = useHarness();

let nextBranch = 1;
function company(documents: number): string {
  const cnpj = branch(nextBranch++);
  h.sim.addCompany(cnpj, { documents });
  return cnpj;
}
const callsOf = (cnpj: string): SimCall[] => h.sim.calls().filter((c) => c.cnpj === cnpj);
const violationsOf = (cnpj: string) => h.sim.violations().filter((v) => v.cnpj === cnpj);

describe('faults that lose an answer SEFAZ produced', () => {
  it('reset: the socket is destroyed after the request was processed; the retry of that ultNSU is tolerated', async () => {
    const cnpj = company(120);
    h.sim.injectFault({ cnpj, fault: { kind: 'reset' } });
    await expect(h.ask(cnpj, distNSU(0))).rejects.toMatchObject({ code: 'CONNECTION_RESET', phase: 'after-send' });
    expect(h.sim.company(cnpj).ultNSU).toBe(nsu(50));
    const retry = await h.ask(cnpj, distNSU(0));
    expect([retry.cStat, retry.ultNSU]).toEqual(['138', nsu(50)]);
    expect(callsOf(cnpj).map((c) => [c.cStat, c.fault, c.answerLost, c.violation])).toEqual([
      ['138', 'reset', true, false],
      ['138', undefined, undefined, false],
    ]);
    expect(violationsOf(cnpj)).toEqual([]);
  });

  it('truncate: the full Content-Length is announced, half is sent; the request was processed', async () => {
    const cnpj = company(10);
    h.sim.injectFault({ cnpj, op: 'distNSU', fault: { kind: 'truncate' } });
    await expect(h.ask(cnpj, distNSU(0))).rejects.toMatchObject({ code: 'TRUNCATED_RESPONSE' });
    expect(h.sim.company(cnpj)).toMatchObject({ ultNSU: nsu(10), distNSUAllowedAt: h.clock.now() + HOUR });
    expect(callsOf(cnpj)[0]).toMatchObject({ fault: 'truncate', answerLost: true, cStat: '138' });
  });

  it('malformed: a 200 whose XML is broken; the request was processed', async () => {
    const cnpj = company(10);
    h.sim.injectFault({ cnpj, fault: { kind: 'malformed' } });
    await expect(h.ask(cnpj, distNSU(0))).rejects.toBeInstanceOf(ResponseParseError);
    expect(h.sim.company(cnpj).ultNSU).toBe(nsu(10));
  });

  it('latency: the answer comes late; a client that gives up first has still had its request processed', async () => {
    const cnpj = company(80);
    h.sim.injectFault({ cnpj, fault: { kind: 'latency', ms: 20 } });
    const slow = await h.ask(cnpj, distNSU(0));
    expect([slow.cStat, slow.ultNSU]).toEqual(['138', nsu(50)]);
    expect(callsOf(cnpj)[0]).toMatchObject({ fault: 'latency', cStat: '138' });

    h.sim.injectFault({ cnpj, fault: { kind: 'latency', ms: 5_000 } });
    const impatient = new SoapTransport({ ca: h.material.ca, responseTimeoutMs: 100 });
    try {
      const env = buildDistEnvelope({ tpAmb: '2', interested: { CNPJ: cnpj }, query: distNSU(50) });
      await expect(
        impatient.post({ url: h.sim.distUrl, identity: h.material.identities.get(CERT_CNPJ)!, body: env.body, contentType: env.contentType }),
      ).rejects.toMatchObject({ code: 'RESPONSE_TIMEOUT' });
    } finally {
      impatient.close();
    }
    expect(h.sim.company(cnpj).ultNSU).toBe(nsu(80));
  });
});

describe('stopping', () => {
  it('does not wait for an answer a latency fault holds back', async () => {
    let logged!: () => void;
    const called = new Promise<void>((resolve) => (logged = resolve));
    const sim = new SefazSimulator({ tlsDir: h.material.dir, onCall: () => logged() });
    await sim.start();
    const cnpj = branch(990);
    sim.injectFault({ fault: { kind: 'latency', ms: 600_000 } });
    const transport = new SoapTransport({ ca: h.material.ca });
    try {
      const env = buildDistEnvelope({ tpAmb: '2', interested: { CNPJ: cnpj }, query: distNSU(0) });
      const pending = transport.post({ url: sim.distUrl, identity: h.material.identities.get(CERT_CNPJ)!, body: env.body, contentType: env.contentType });
      await called;
      await sim.stop();
      await expect(pending).rejects.toMatchObject({ phase: 'after-send' });
    } finally {
      transport.close();
    }
  });
});

describe('faults where SEFAZ processed nothing', () => {
  it('http500: an HTTP 500 and the sequence untouched', async () => {
    const cnpj = company(10);
    h.sim.injectFault({ cnpj, fault: { kind: 'http500' } });
    await expect(h.ask(cnpj, distNSU(0))).rejects.toMatchObject({ code: 'HTTP_STATUS', status: 500 });
    expect(h.sim.company(cnpj).ultNSU).toBeNull();
    expect(callsOf(cnpj)[0]).toMatchObject({ cStat: null, fault: 'http500', cause: 'fault', violation: false });
    expect((await h.ask(cnpj, distNSU(0))).cStat).toBe('138');
  });

  it('cStat 108/109/999, `times` calls in a row, only for the matching op and CNPJ', async () => {
    const cnpj = company(10);
    const bystander = company(10);
    h.sim.injectFault({ cnpj, op: 'distNSU', times: 2, fault: { kind: 'cStat', cStat: '109' } });
    h.sim.injectFault({ cnpj, op: 'consNSU', fault: { kind: 'cStat', cStat: '108' } });
    expect((await h.ask(bystander, distNSU(0))).cStat).toBe('138');
    const a = await h.ask(cnpj, distNSU(0));
    expect([a.cStat, a.xMotivo]).toEqual(['109', 'Servico Paralisado sem Previsao']);
    const c = await h.ask(cnpj, consNSU(1));
    expect([c.cStat, c.xMotivo]).toEqual(['108', 'Servico Paralisado Momentaneamente (curto prazo)']);
    expect((await h.ask(cnpj, distNSU(0))).cStat).toBe('109');
    expect(h.sim.company(cnpj).ultNSU).toBeNull();
    expect((await h.ask(cnpj, distNSU(0))).cStat).toBe('138');

    h.sim.injectFault({ fault: { kind: 'cStat', cStat: '999' } });
    expect((await h.ask(cnpj, consNSU(2))).xMotivo).toBe(
      'Rejeicao: Erro nao catalogado (informar a mensagem de erro capturado no tratamento da excecao)',
    );
    expect(violationsOf(cnpj)).toEqual([]);
  });

  it('refuses a fault it cannot apply', () => {
    expect(() => h.sim.injectFault({ fault: { kind: 'cStat', cStat: '137' } } as never)).toThrow(/fault spec: fault.cStat/);
    expect(() => h.sim.injectFault({ cnpj: '123', fault: { kind: 'reset' } })).toThrow(/cnpj: not a valid CNPJ/);
  });
});

describe('656s the client did not cause, and the violation log', () => {
  it('another system moving the shared sequence: 656 with SEFAZ ultNSU, not a violation (keeping the stale ultNSU after it is); the skipped NSUs by consNSU', async () => {
    const cnpj = company(200);
    await h.ask(cnpj, distNSU(0));
    h.sim.otherSystemAdvances(cnpj, 30);
    expect(h.sim.company(cnpj).ultNSU).toBe(nsu(80));
    const a = await h.ask(cnpj, distNSU(50));
    expect([a.cStat, a.xMotivo, a.ultNSU, a.maxNSU]).toEqual(['656', XMOTIVO_656_SEQUENCE, nsu(80), nsu(0)]);
    expect(callsOf(cnpj).at(-1)).toMatchObject({ rule: 'sequence', cause: 'other-system', violation: false });
    expect(violationsOf(cnpj)).toEqual([]);

    h.clock.advance(HOUR);
    const stale = await h.ask(cnpj, distNSU(50));
    expect([stale.cStat, stale.ultNSU]).toEqual(['656', nsu(80)]);
    expect(violationsOf(cnpj)).toMatchObject([{ rule: 'sequence' }]);

    h.clock.advance(HOUR);
    const resumed = await h.ask(cnpj, distNSU(80));
    expect([resumed.cStat, resumed.docs[0]?.NSU]).toEqual(['138', nsu(81)]);
    const skipped = await h.ask(cnpj, consNSU(51));
    expect([skipped.cStat, skipped.docs[0]?.NSU]).toEqual(['138', nsu(51)]);
    expect(violationsOf(cnpj)).toHaveLength(1);
  });

  it('another system taking documents that had not arrived yet makes them arrive', async () => {
    const cnpj = company(5);
    h.sim.otherSystemAdvances(cnpj, 8);
    expect(h.sim.company(cnpj)).toMatchObject({ documents: 8, ultNSU: nsu(8), maxNSU: nsu(8) });
  });

  it('a scripted 656 is a real one-hour block carrying SEFAZ ultNSU, not a violation; a call inside it is one', async () => {
    const cnpj = company(120);
    await h.ask(cnpj, distNSU(0));
    h.sim.scriptAnswer(cnpj, { cStat: '656' });
    const a = await h.ask(cnpj, distNSU(50));
    expect([a.cStat, a.xMotivo, a.ultNSU, a.maxNSU]).toEqual(['656', XMOTIVO_656_SEQUENCE, nsu(50), nsu(0)]);
    expect(callsOf(cnpj).at(-1)).toMatchObject({ rule: 'scripted', cause: 'scripted', violation: false });
    expect(violationsOf(cnpj)).toEqual([]);

    h.clock.advance(30 * MINUTE);
    expect((await h.ask(cnpj, consNSU(1))).cStat).toBe('656');
    expect(violationsOf(cnpj)).toMatchObject([{ rule: 'blocked', op: 'consNSU' }]);
    h.clock.advance(HOUR);
    expect((await h.ask(cnpj, distNSU(50))).cStat).toBe('138');
  });

  it('a scripted 656 on a targeted query speaks of the 20-per-hour rule unless told otherwise', async () => {
    const cnpj = company(3);
    h.sim.scriptAnswer(cnpj, { cStat: '656' });
    expect((await h.ask(cnpj, consNSU(1))).xMotivo).toBe(XMOTIVO_656_LIMIT_20);
    const other = company(3);
    h.sim.scriptAnswer(other, { cStat: '656', xMotivo: 'Rejeicao: Consumo Indevido' });
    expect((await h.ask(other, distNSU(0))).xMotivo).toBe('Rejeicao: Consumo Indevido');
  });

  it('logs every call with its CNPJ, op, request, cStat, documents, SOAP version and rule', async () => {
    const cnpj = company(60);
    await h.ask(cnpj, distNSU(0), { soap: '1.1' });
    await h.ask(cnpj, distNSU(7));
    expect(callsOf(cnpj)).toEqual([
      expect.objectContaining({
        cnpj, op: 'distNSU', ultNSU: nsu(0), cStat: '138', xMotivo: 'Documento(s) localizado(s)', docs: 50,
        answerUltNSU: nsu(50), answerMaxNSU: nsu(60), soap: '1.1', rule: null, violation: false,
        at: h.clock.now(), time: `${new Date(h.clock.now() - 3 * HOUR).toISOString().slice(0, 19)}-03:00`,
      }),
      expect.objectContaining({ ultNSU: nsu(7), cStat: '656', docs: 0, soap: '1.2', rule: 'sequence', cause: 'client', violation: true }),
    ]);
    const v = violationsOf(cnpj);
    expect(v).toEqual([expect.objectContaining({ call: callsOf(cnpj)[1]!.seq, op: 'distNSU', rule: 'sequence' })]);
    expect(v[0]!.detail).toMatch(/ultNSU 000000000000007; SEFAZ's last ultNSU is 000000000000050/);
  });
});

describe('control API (JSON over the same mutual-TLS server)', () => {
  const call = (method: string, path: string, input?: unknown) =>
    control(h.sim.url, h.material.ca, h.material.identities.get(CERT_CNPJ)!, method, path, input);

  it('adds companies and documents, and shows them', async () => {
    const cnpj = branch(900);
    expect(await call('POST', '/sim/companies', { cnpj, documents: 4 })).toMatchObject({ status: 200, json: { cnpj, documents: 4 } });
    expect(await call('POST', '/sim/documents', { cnpj, count: 3 })).toMatchObject({ status: 200, json: { maxNSU: nsu(7) } });
    const list = (await call('GET', '/sim/companies')).json as { cnpj: string; documents: number }[];
    expect(list.find((c) => c.cnpj === cnpj)?.documents).toBe(7);
    const docs = (await call('GET', `/sim/documents?cnpj=${cnpj}`)).json as { NSU: string; xml?: string }[];
    expect(docs.map((d) => d.NSU)).toEqual([1, 2, 3, 4, 5, 6, 7].map(nsu));
    expect(docs[0]!.xml).toBeUndefined();
  });

  it('injects faults, scripts answers and moves the sequence as another system, then shows calls and violations', async () => {
    const cnpj = branch(901);
    await call('POST', '/sim/companies', { cnpj, documents: 100 });
    expect(await call('POST', '/sim/fault', { cnpj, op: 'distNSU', fault: { kind: 'cStat', cStat: '108' } })).toMatchObject({ status: 200 });
    expect((await h.ask(cnpj, distNSU(0))).cStat).toBe('108');
    expect((await h.ask(cnpj, distNSU(0))).cStat).toBe('138');
    expect(await call('POST', '/sim/other-system', { cnpj, documents: 10 })).toMatchObject({ json: { ultNSU: nsu(60) } });
    expect((await h.ask(cnpj, distNSU(50))).cStat).toBe('656');
    expect(await call('POST', '/sim/script', { cnpj, cStat: '656' })).toMatchObject({ status: 200 });

    const calls = (await call('GET', `/sim/calls?cnpj=${cnpj}`)).json as SimCall[];
    expect(calls.map((c) => [c.cStat, c.cause])).toEqual([['108', 'fault'], ['138', null], ['656', 'other-system']]);
    const since = (await call('GET', `/sim/calls?since=${calls[1]!.seq}&cnpj=${cnpj}`)).json as SimCall[];
    expect(since.map((c) => c.seq)).toEqual([calls[2]!.seq]);
    expect((await call('GET', '/sim/violations')).json).toEqual(JSON.parse(JSON.stringify(h.sim.violations())));
  });

  it('says what is wrong with a bad request', async () => {
    expect(await call('POST', '/sim/documents', { cnpj: '11222333000182', count: 1 })).toMatchObject({
      status: 400, json: { error: expect.stringMatching(/check digits/) as unknown },
    });
    expect(await call('POST', '/sim/fault', { fault: { kind: 'explode' } })).toMatchObject({ status: 400 });
    expect(await call('POST', '/sim/script', { cnpj: branch(902), cStat: '138' })).toMatchObject({ status: 400 });
    expect(await call('GET', '/sim/nothing')).toMatchObject({ status: 404 });
  });
});
