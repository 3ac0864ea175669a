/**
 * Benchmark (not a test): ms per NFeDistribuicaoDFe call over loopback mutual TLS, our
 * SoapTransport against the `soap` library configured as it must be to work at all
 * (forceSoap12Headers, `$xml` payload, raw response, a shared keep-alive agent per call).
 * Both talk to the same local server, sequentially, in alternating rounds.
 *
 *   npm run build && node dist/bench/transport.js [callsPerRound] [rounds]
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as soap from 'soap';
import { decodePfx } from '../src/cert/pkcs12.js';
import { makeClientPfx, makeServerCertificate, makeTestCA } from '../src/cert/testMaterial.js';
import { buildDistEnvelope } from '../src/sefaz/envelope.js';
import { buildDistDFeInt } from '../src/sefaz/request.js';
import type { DistRequest } from '../src/sefaz/types.js';
import { SoapTransport, type TlsIdentity } from '../src/transport/soapTransport.js';

export interface TransportBenchResult {
  payload: string;
  responseBytes: number;
  oursMsPerCall: number;
  soapMsPerCall: number;
  /** soap ÷ ours: how many times slower the library is. */
  ratio: number;
  oursHandshakes: number;
  soapHandshakes: number;
}

const REQUEST: DistRequest = {
  tpAmb: '1',
  cUFAutor: '35',
  interested: { CNPJ: '12345678000195' },
  query: { kind: 'distNSU', ultNSU: '000000000000000' },
};

function answer(docs: number): string {
  const docZips = Array.from(
    { length: docs },
    (_, i) =>
      `<docZip NSU="${String(i + 1).padStart(15, '0')}" schema="resNFe_v1.01.xsd">${randomBytes(1500).toString('base64')}</docZip>`,
  ).join('');
  const cStat = docs === 0 ? '<cStat>137</cStat><xMotivo>Nenhum documento localizado</xMotivo>' : '<cStat>138</cStat><xMotivo>Documento(s) localizado(s)</xMotivo>';
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>' +
    '<nfeDistDFeInteresseResponse xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe"><nfeDistDFeInteresseResult>' +
    `<retDistDFeInt versao="1.01" xmlns="http://www.portalfiscal.inf.br/nfe"><tpAmb>1</tpAmb><verAplic>1.7.8</verAplic>${cStat}` +
    `<dhResp>2026-11-20T09:00:00-03:00</dhResp><ultNSU>${String(docs).padStart(15, '0')}</ultNSU><maxNSU>${String(docs).padStart(15, '0')}</maxNSU>` +
    (docs > 0 ? `<loteDistDFeInt>${docZips}</loteDistDFeInt>` : '') +
    '</retDistDFeInt></nfeDistDFeInteresseResult></nfeDistDFeInteresseResponse></soap:Body></soap:Envelope>'
  );
}

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the benchmark');
    dir = up;
  }
  return dir;
}

function wsdlPath(): string {
  return join(projectRoot(), 'schemas', 'NFeDistribuicaoDFe.wsdl');
}

async function timeCalls(calls: number, call: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < calls; i++) bytes = await call();
  return { ms: (performance.now() - start) / calls, bytes };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

export async function main(argv: string[] = process.argv.slice(2)): Promise<TransportBenchResult[]> {
  const callsPerRound = Number(argv[0] ?? 200);
  const rounds = Number(argv[1] ?? 5);

  const ca = makeTestCA();
  const serverPems = makeServerCertificate(ca);
  const pfx = decodePfx(makeClientPfx(ca, { cnpj: '12345678000195', password: 'bench' }), 'bench', 'bench.pfx');
  const identity: TlsIdentity = { id: 'bench.pfx', keyPem: pfx.keyPem, certPem: pfx.certPem, chainPem: pfx.chainPem };

  let body = answer(0);
  const handshakes = { ours: 0, soap: 0 };
  let counting: keyof typeof handshakes = 'ours';
  const lastRequest = { ours: { contentType: '', body: '' }, soap: { contentType: '', body: '' } };
  const server = https.createServer(
    { key: serverPems.keyPem, cert: serverPems.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        lastRequest[counting] = { contentType: String(req.headers['content-type']), body: Buffer.concat(chunks).toString() };
        res.writeHead(200, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
        res.end(body);
      });
    },
  );
  server.on('secureConnection', () => (handshakes[counting] += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx`;

  const transport = new SoapTransport({ ca: ca.certPem });
  const envelope = buildDistEnvelope(REQUEST, '1.2');
  const ours = async (): Promise<number> => {
    const r = await transport.post({ url, identity, body: envelope.body, contentType: envelope.contentType });
    return r.bytes;
  };

  const soapAgent = new https.Agent({ keepAlive: true, key: pfx.keyPem, cert: pfx.certPem, ca: ca.certPem });
  const client = await soap.createClientAsync(wsdlPath(), { endpoint: url, forceSoap12Headers: true });
  const port = client['NFeDistribuicaoDFe']['NFeDistribuicaoDFeSoap12'];
  const payload = buildDistDFeInt(REQUEST);
  const viaSoap = (): Promise<number> =>
    new Promise((resolve, reject) => {
      port.nfeDistDFeInteresse(
        { nfeDadosMsg: { $xml: payload } },
        (err: unknown, _result: unknown, raw: string) => (err ? reject(err) : resolve(Buffer.byteLength(raw))),
        { httpsAgent: soapAgent },
      );
    });

  const results: TransportBenchResult[] = [];
  try {
    for (const [name, docs] of [['137, no documents', 0], ['138, 50 docZips', 50]] as const) {
      body = answer(docs);
      const oursMs: number[] = [];
      const soapMs: number[] = [];
      let responseBytes = 0;
      counting = 'ours';
      await timeCalls(20, ours);
      counting = 'soap';
      await timeCalls(20, viaSoap);
      // Both must send the same thing for the comparison to mean anything.
      for (const [who, seen] of Object.entries(lastRequest)) {
        if (!seen.contentType.startsWith('application/soap+xml') || !seen.contentType.includes('nfeDistDFeInteresse') || !seen.body.includes(payload)) {
          throw new Error(`${who} did not send a SOAP 1.2 request with the action and the inline distDFeInt: ${seen.contentType} ${seen.body.slice(0, 300)}`);
        }
      }
      for (let round = 0; round < rounds; round++) {
        counting = 'ours';
        const o = await timeCalls(callsPerRound, ours);
        oursMs.push(o.ms);
        responseBytes = o.bytes;
        counting = 'soap';
        soapMs.push((await timeCalls(callsPerRound, viaSoap)).ms);
      }
      const oursMsPerCall = median(oursMs);
      const soapMsPerCall = median(soapMs);
      results.push({
        payload: name,
        responseBytes,
        oursMsPerCall,
        soapMsPerCall,
        ratio: soapMsPerCall / oursMsPerCall,
        oursHandshakes: handshakes.ours,
        soapHandshakes: handshakes.soap,
      });
    }
  } finally {
    transport.close();
    soapAgent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  console.log(`transport benchmark: ${rounds} rounds × ${callsPerRound} sequential calls per client, loopback mTLS, median ms per call`);
  for (const r of results) {
    console.log(
      `  ${r.payload.padEnd(18)} (${String(r.responseBytes).padStart(6)} B)  SoapTransport ${r.oursMsPerCall.toFixed(3)} ms   soap ${r.soapMsPerCall.toFixed(3)} ms   soap/ours ${r.ratio.toFixed(2)}×`,
    );
  }
  const last = results[results.length - 1];
  if (last) console.log(`  TLS handshakes over the whole run: SoapTransport ${last.oursHandshakes}, soap ${last.soapHandshakes}`);
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
