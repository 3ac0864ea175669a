import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readCertificateFacts } from '../cert/facts.js';
import { ensureTestMaterial } from '../cert/testMaterial.js';
import { systemClock, type Clock } from '../clock.js';
import { DIST_PATH, EVENT_PATH, tpAmbOf, type Environment } from '../sefaz/endpoints.js';
import { cnpjProblem } from '../sefaz/identifiers.js';
import type { SoapVersion } from '../sefaz/envelope.js';
import { DfeSyncError } from '../errors.js';
import { CallLog } from './callLog.js';
import { CompanyBook } from './company.js';
import type { NFeSituation } from './documents.js';
import { SimulatorError } from './errors.js';
import { EventService, type ManifestationCode, type SimEventView } from './eventService.js';
import { parseEventRequest, renderEventResponse } from './eventSoap.js';
import { FaultBook, checkedFaultSpec, type Fault, type FaultSpec } from './faults.js';
import {
  DistributionService,
  type QueryFault,
  type CompanyOptions,
  type CompanySnapshot,
  type DocumentView,
  type SimCall,
  type SimViolation,
} from './service.js';
import { CONTENT_TYPES, parseDistRequest, renderDistResponse, renderSoapFault } from './soap.js';

export interface SefazSimulatorOptions {
  /** ca.pem, server.pem and server.key: made here when missing (client .pfx files are the caller's). */
  tlsDir: string;
  clock?: Clock;
  /** Default homologation; a tpAmb of the other environment is answered 252. */
  environment?: Environment;
  /** Seed of the generated documents (default 1). */
  seed?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** verAplic of the answers (default 1.7.8, as in 2026 captures). */
  verAplic?: string;
  /** Called with each call once it is logged (the CLI prints them). */
  onCall?: (call: SimCall) => void;
  /** From a manifestation (Ciência, Confirmação, Operação não Realizada) to its full procNFe as a new NSU; default 10 simulated minutes. */
  fullDocumentDelayMs?: number;
  /** Days after the NF-e's authorization each event is accepted (DEFAULT_EVENT_DEADLINE_DAYS: Ciência 10, the others 90). */
  eventDeadlineDays?: Partial<Record<ManifestationCode, number>>;
  /** verAplic of the event answers (default AN_1.8.6, as in the 2025 capture). */
  eventVerAplic?: string;
}

/** Bodies larger than this are refused: distDFeInt is a few hundred bytes. */
const MAX_REQUEST_BYTES = 1024 * 1024;
/** Longer than the transport's pooled-socket idle time, so that the client closes idle connections, not us. */
const KEEP_ALIVE_MS = 60_000;

const companyBody = z.object({
  cnpj: z.string(),
  documents: z.number().int().min(0).optional(),
  spreadDays: z.number().min(0).max(3650).optional(),
  summariesOnly: z.boolean().optional(),
});
const nfeBody = z.object({ cnpj: z.string(), cSitNFe: z.enum(['1', '2', '3']).optional() });
const documentsBody = z.object({ cnpj: z.string(), count: z.number().int().min(0) });
const scriptBody = z.object({ cnpj: z.string(), cStat: z.literal('656'), xMotivo: z.string().min(1).max(255).optional() });
const otherSystemBody = z.object({ cnpj: z.string(), documents: z.number().int().min(1) });

/**
 * The SEFAZ simulator: NFeDistribuicaoDFe and NFeRecepcaoEvento4 over HTTPS with mutual
 * TLS (a client certificate signed by the test CA of tlsDir is required), SEFAZ's rules
 * on its own clock (see DistributionService and EventService), injectable faults, and a
 * JSON control API under /sim/ on the same server for tests and tools in other processes.
 */
export class SefazSimulator {
  private readonly service: DistributionService;
  private readonly eventService: EventService;
  private readonly faults = new FaultBook();
  private readonly peerCnpjs = new WeakMap<TLSSocket, string | null>();
  /** Answers held back by a latency fault: released (unsent) by stop(). */
  private readonly delayed = new Map<NodeJS.Timeout, () => void>();
  private server: https.Server | null = null;
  private address: { url: string; port: number } | null = null;

  constructor(private readonly opts: SefazSimulatorOptions) {
    const clock = opts.clock ?? systemClock;
    const environment = opts.environment ?? 'homologation';
    const seed = opts.seed ?? 1;
    const companies = new CompanyBook(seed, tpAmbOf(environment));
    const callLog = new CallLog(opts.onCall);
    this.service = new DistributionService({
      clock,
      environment,
      seed,
      companies,
      callLog,
      ...(opts.verAplic === undefined ? {} : { verAplic: opts.verAplic }),
    });
    this.eventService = new EventService({
      clock,
      environment,
      companies,
      callLog,
      trustedCaFile: join(opts.tlsDir, 'ca.pem'),
      ...(opts.eventVerAplic === undefined ? {} : { verAplic: opts.eventVerAplic }),
      ...(opts.fullDocumentDelayMs === undefined ? {} : { fullDocumentDelayMs: opts.fullDocumentDelayMs }),
      ...(opts.eventDeadlineDays === undefined ? {} : { deadlineDays: opts.eventDeadlineDays }),
    });
  }

  async start(): Promise<{ url: string; port: number }> {
    if (this.address !== null) return this.address;
    const m = ensureTestMaterial(this.opts.tlsDir, []);
    const server = https.createServer(
      {
        key: readFileSync(m.serverKey),
        cert: readFileSync(m.serverCert),
        ca: readFileSync(m.caCert),
        requestCert: true,
        rejectUnauthorized: true,
        keepAlive: true,
        keepAliveTimeout: KEEP_ALIVE_MS,
        headersTimeout: KEEP_ALIVE_MS + 5_000,
      },
      (req, res) => {
        this.handle(req, res).catch((err: unknown) => this.internalError(res, err));
      },
    );
    // A refused handshake (no or untrusted client certificate) is the client's to report.
    server.on('tlsClientError', () => {});
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    this.address = { url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, port };
    return this.address;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.address = null;
    for (const [t, release] of this.delayed) {
      clearTimeout(t);
      release();
    }
    this.delayed.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** The base URL, e.g. https://127.0.0.1:40123. */
  get url(): string {
    if (this.address === null) throw new SimulatorError('SIM_NOT_RUNNING', 'the simulator is not started: call start() first');
    return this.address.url;
  }

  /** The distribution endpoint, for sefaz.urls.distribuicao. */
  get distUrl(): string {
    return this.url + DIST_PATH;
  }

  /** The event endpoint (NFeRecepcaoEvento4), for sefaz.urls.recepcaoEvento. */
  get eventUrl(): string {
    return this.url + EVENT_PATH;
  }

  addCompany(cnpj: string, opts: CompanyOptions = {}): void {
    this.service.addCompany(cnpj, opts);
  }

  addDocuments(cnpj: string, count: number): void {
    this.service.addDocuments(cnpj, count);
  }

  company(cnpj: string): CompanySnapshot {
    return this.service.company(cnpj);
  }

  companies(): CompanySnapshot[] {
    return this.service.companies();
  }

  documents(cnpj: string): DocumentView[] {
    return this.service.documents(cnpj);
  }

  /** A new NF-e issued to `cnpj`, received now: its resNFe, authorized unless cSitNFe says denied (2) or cancelled (3). */
  addNFe(cnpj: string, opts: { cSitNFe?: NFeSituation } = {}): DocumentView {
    return this.service.addNFe(cnpj, opts.cSitNFe);
  }

  /** The events SEFAZ registered, in order; of one author when `cnpj` is given. */
  events(cnpj?: string): SimEventView[] {
    return this.eventService.events(cnpj);
  }

  injectFault(spec: FaultSpec): void {
    this.faults.add(checkedFaultSpec(spec));
  }

  scriptAnswer(cnpj: string, answer: { cStat: '656'; xMotivo?: string }): void {
    this.service.scriptAnswer(cnpj, answer);
  }

  otherSystemAdvances(cnpj: string, documents: number): void {
    this.service.otherSystemAdvances(cnpj, documents);
  }

  calls(): readonly SimCall[] {
    return this.service.calls();
  }

  violations(): readonly SimViolation[] {
    return this.service.violations();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://simulator');
    if (url.pathname === DIST_PATH) {
      if (req.method === 'GET' && url.search.toLowerCase() === '?wsdl') return this.wsdl(res);
      if (req.method !== 'POST') return plain(res, 405, 'Method Not Allowed', { Allow: 'POST' });
      const body = await readBody(req);
      if (body === null) return plain(res, 413, 'Request Entity Too Large');
      return this.distribution(req, res, body);
    }
    if (url.pathname === EVENT_PATH) {
      if (req.method !== 'POST') return plain(res, 405, 'Method Not Allowed', { Allow: 'POST' });
      const body = await readBody(req);
      if (body === null) return plain(res, 413, 'Request Entity Too Large');
      return this.eventReception(req, res, body);
    }
    if (url.pathname.startsWith('/sim/')) return this.control(req, res, url);
    return plain(res, 404, 'Not Found');
  }

  private async distribution(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const parsed = parseDistRequest(body, req.headers['content-type']);
    if (parsed.kind === 'not-soap') {
      this.service.unanswered(parsed.soap, { rule: 'schema' });
      return send(res, 500, CONTENT_TYPES[parsed.soap], renderSoapFault(parsed.soap, 'client', parsed.reason));
    }
    if (parsed.kind === 'schema') {
      const ret = this.service.reject(parsed.soap, parsed);
      return send(res, 200, CONTENT_TYPES[parsed.soap], renderDistResponse(parsed.soap, ret));
    }
    const cnpj = 'CNPJ' in parsed.interested ? parsed.interested.CNPJ : parsed.interested.CPF;
    const fault = this.faults.take(cnpj, parsed.op);
    if (fault?.kind === 'http500') {
      this.service.unanswered(parsed.soap, { cnpj, op: parsed.op, value: parsed.value, fault: 'http500', rule: 'fault' });
      return plain(res, 500, 'Internal Server Error', {}, 'text/html');
    }
    const ret = this.service.query(
      {
        op: parsed.op,
        value: parsed.value,
        tpAmb: parsed.tpAmb,
        interested: parsed.interested,
        certCnpj: this.peerCnpj(req.socket as TLSSocket),
        soap: parsed.soap,
      },
      queryFault(fault),
    );
    return this.deliver(res, parsed.soap, renderDistResponse(parsed.soap, ret), fault);
  }

  private async eventReception(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const soapAction = req.headers['soapaction'];
    const parsed = parseEventRequest(body, req.headers['content-type'], Array.isArray(soapAction) ? soapAction[0] : soapAction);
    if (parsed.kind === 'not-soap') {
      this.eventService.unanswered(parsed.soap, { rule: 'schema' });
      return send(res, 500, CONTENT_TYPES[parsed.soap], renderSoapFault(parsed.soap, 'client', parsed.reason));
    }
    const cnpj = parsed.author ?? undefined;
    const fault = this.faults.take(cnpj, 'envEvento');
    if (fault?.kind === 'http500') {
      this.eventService.unanswered(parsed.soap, { ...(cnpj === undefined ? {} : { cnpj }), fault: 'http500', rule: 'fault' });
      return plain(res, 500, 'Internal Server Error', {}, 'text/html');
    }
    const ret = this.eventService.receive(parsed, { soap: parsed.soap, certCnpj: this.peerCnpj(req.socket as TLSSocket) }, queryFault(fault));
    return this.deliver(res, parsed.soap, renderEventResponse(parsed.soap, ret), fault);
  }

  /** Sends an answer, or loses it the way the fault says: the request was processed either way. */
  private async deliver(res: ServerResponse, soap: SoapVersion, xml: string, fault: Fault | null): Promise<void> {
    const bytes = Buffer.from(xml, 'utf8');
    switch (fault?.kind) {
      case 'latency':
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.delayed.delete(t);
            resolve();
          }, fault.ms);
          this.delayed.set(t, resolve);
        });
        if (this.server === null || res.destroyed) return;
        return send(res, 200, CONTENT_TYPES[soap], bytes);
      case 'reset':
        res.socket?.destroy();
        return;
      case 'truncate': {
        res.writeHead(200, { 'Content-Type': CONTENT_TYPES[soap], 'Content-Length': bytes.length });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
        return;
      }
      case 'malformed': {
        const cut = xml.slice(0, Math.floor(xml.length * 0.6)).replace(/<[^>]*$/, '');
        return send(res, 200, CONTENT_TYPES[soap], `${cut}</soap:Body></nfeDistDFeInteresseResult>`);
      }
      default:
        return send(res, 200, CONTENT_TYPES[soap], bytes);
    }
  }

  /** The CNPJ of the client certificate, read once per TLS connection. */
  private peerCnpj(socket: TLSSocket): string | null {
    if (this.peerCnpjs.has(socket)) return this.peerCnpjs.get(socket)!;
    let cnpj: string | null = null;
    const raw = socket.getPeerCertificate(false)?.raw;
    if (raw !== undefined) {
      try {
        cnpj = readCertificateFacts(raw).cnpj;
      } catch {
        cnpj = null;
      }
    }
    this.peerCnpjs.set(socket, cnpj);
    return cnpj;
  }

  private wsdl(res: ServerResponse): void {
    const file = findWsdl();
    if (file === null) return plain(res, 404, 'WSDL not found');
    const text = readFileSync(file, 'utf8').replace(/location="[^"]*"/g, `location="${this.distUrl}"`);
    send(res, 200, 'text/xml; charset=utf-8', text);
  }

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /sim/calls': {
          const cnpj = url.searchParams.get('cnpj');
          const since = Number(url.searchParams.get('since') ?? '0');
          return json(res, 200, this.calls().filter((c) => c.seq > since && (cnpj === null || c.cnpj === cnpj)));
        }
        case 'GET /sim/violations':
          return json(res, 200, this.violations());
        case 'GET /sim/companies':
          return json(res, 200, this.companies());
        case 'GET /sim/events':
          return json(res, 200, this.events(url.searchParams.get('cnpj') ?? undefined));
        case 'GET /sim/documents': {
          const withXml = url.searchParams.get('xml') === '1';
          const docs = this.documents(url.searchParams.get('cnpj') ?? '');
          return json(res, 200, withXml ? docs : docs.map(({ xml: _xml, ...meta }) => meta));
        }
      }
      if (req.method !== 'POST') return json(res, 404, { error: `no such control endpoint: ${route}` });
      const text = await readBody(req);
      if (text === null) return json(res, 413, { error: 'body too large' });
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        return json(res, 400, { error: 'the body is not JSON' });
      }
      switch (url.pathname) {
        case '/sim/companies': {
          const b = parse(companyBody, input);
          this.addCompany(b.cnpj, {
            ...(b.documents === undefined ? {} : { documents: b.documents }),
            ...(b.spreadDays === undefined ? {} : { spreadDays: b.spreadDays }),
            ...(b.summariesOnly === undefined ? {} : { summariesOnly: b.summariesOnly }),
          });
          return json(res, 200, this.company(b.cnpj));
        }
        case '/sim/nfe': {
          const b = parse(nfeBody, input);
          const { xml: _xml, ...meta } = this.addNFe(b.cnpj, b.cSitNFe === undefined ? {} : { cSitNFe: b.cSitNFe });
          return json(res, 200, meta);
        }
        case '/sim/documents': {
          const b = parse(documentsBody, input);
          this.addDocuments(b.cnpj, b.count);
          return json(res, 200, this.company(b.cnpj));
        }
        case '/sim/fault':
          this.injectFault(checkedFaultSpec(input));
          return json(res, 200, { ok: true });
        case '/sim/script': {
          const b = parse(scriptBody, input);
          this.scriptAnswer(b.cnpj, { cStat: b.cStat, ...(b.xMotivo === undefined ? {} : { xMotivo: b.xMotivo }) });
          return json(res, 200, { ok: true });
        }
        case '/sim/other-system': {
          const b = parse(otherSystemBody, input);
          this.otherSystemAdvances(b.cnpj, b.documents);
          return json(res, 200, this.company(b.cnpj));
        }
        default:
          return json(res, 404, { error: `no such control endpoint: ${route}` });
      }
    } catch (err) {
      if (err instanceof DfeSyncError) return json(res, 400, { error: err.message, code: err.code });
      throw err;
    }
  }

  private internalError(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    plain(res, 500, `simulator error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function queryFault(fault: Fault | null): QueryFault | undefined {
  return fault === null ? undefined : { kind: fault.kind, ...(fault.kind === 'cStat' ? { cStat: fault.cStat } : {}) };
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SimulatorError('SIM_BAD_INPUT', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const cnpj = (r.data as { cnpj?: unknown }).cnpj;
  if (typeof cnpj === 'string' && cnpjProblem(cnpj) !== null) throw new SimulatorError('SIM_BAD_INPUT', `cnpj: ${cnpjProblem(cnpj)!}`);
  return r.data;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length, 'Cache-Control': 'private, max-age=0' });
  res.end(bytes);
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}, type = 'text/plain; charset=utf-8'): void {
  const bytes = Buffer.from(text, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': bytes.length });
  res.end(bytes);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** The official WSDL shipped in the package's schemas/ (found from src/sim or dist/src/sim). */
function findWsdl(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'schemas', 'NFeDistribuicaoDFe.wsdl');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}
