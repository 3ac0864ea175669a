/**
 * A simulator on 127.0.0.1:0 with a ManualClock, and a test client that speaks to it over
 * real mutual TLS with the product's own transport and wire format.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadPfx } from '../../src/cert/load.js';
import { ensureTestMaterial } from '../../src/cert/testMaterial.js';
import { buildDistEnvelope, type SoapVersion } from '../../src/sefaz/envelope.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { parseDistResponse } from '../../src/sefaz/response.js';
import type { Environment, TpAmb } from '../../src/sefaz/endpoints.js';
import type { DistQuery, DistResult } from '../../src/sefaz/types.js';
import { SoapTransport, type SoapAnswer, type TlsIdentity } from '../../src/transport/soapTransport.js';
import { SefazSimulator, type SefazSimulatorOptions } from '../../src/sim/index.js';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** The test certificate's CNPJ; its branches share its base, so one certificate serves them all. */
export const CERT_CNPJ = '11222333000181';

/** Branch `n` of CERT_CNPJ's company (same base, own CNPJ): one per test keeps tests apart. */
export function branch(n: number): string {
  const base12 = `11222333${String(n).padStart(4, '0')}`;
  return base12 + cnpjCheckDigits(base12);
}

/** Another company's CNPJ (another base): SEFAZ answers 593 to CERT_CNPJ's certificate asking for it. */
export const OTHER_COMPANY = '45997418000153';

export interface TlsMaterial {
  dir: string;
  ca: string;
  identities: Map<string, TlsIdentity>;
  remove(): void;
}

/** CA, server certificate and a client identity per CNPJ, in a fresh temporary directory. */
export function makeTlsMaterial(cnpjs: string[] = [CERT_CNPJ]): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-sim-'));
  const m = ensureTestMaterial(dir, cnpjs);
  const identities = new Map<string, TlsIdentity>();
  for (const c of m.clients) {
    const cert = loadPfx(c.pfx, readFileSync(c.passwordFile, 'utf8'));
    identities.set(c.cnpj, { id: c.pfx, keyPem: cert.keyPem, certPem: cert.certPem, chainPem: cert.chainPem });
  }
  return { dir, ca: readFileSync(m.caCert, 'utf8'), identities, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface AskOptions {
  soap?: SoapVersion;
  tpAmb?: TpAmb;
  /** Whose certificate to present (default CERT_CNPJ). */
  as?: string;
}

export interface Harness {
  clock: ManualClock;
  sim: SefazSimulator;
  transport: SoapTransport;
  material: TlsMaterial;
  ask(cnpj: string, query: DistQuery, opts?: AskOptions): Promise<DistResult>;
  /** Posts a raw body; the answer as the transport gives it. */
  post(body: string, contentType: string, opts?: { as?: string; soapAction?: string }): Promise<SoapAnswer>;
  stop(): Promise<void>;
}

export async function startHarness(
  material: TlsMaterial,
  opts: Partial<SefazSimulatorOptions> & { environment?: Environment } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const sim = new SefazSimulator({ tlsDir: material.dir, clock, ...opts });
  await sim.start();
  const transport = new SoapTransport({ ca: material.ca });
  const environment = opts.environment ?? 'homologation';
  const identity = (cnpj: string): TlsIdentity => {
    const id = material.identities.get(cnpj);
    if (id === undefined) throw new Error(`no test identity for ${cnpj}`);
    return id;
  };
  const post: Harness['post'] = (body, contentType, o = {}) =>
    transport.post({
      url: sim.distUrl,
      identity: identity(o.as ?? CERT_CNPJ),
      body,
      contentType,
      ...(o.soapAction === undefined ? {} : { soapAction: o.soapAction }),
    });
  return {
    clock,
    sim,
    transport,
    material,
    post,
    async ask(cnpj, query, o = {}) {
      const env = buildDistEnvelope(
        { tpAmb: o.tpAmb ?? (environment === 'production' ? '1' : '2'), cUFAutor: '35', interested: { CNPJ: cnpj }, query },
        o.soap ?? '1.2',
      );
      const answer = await transport.post({
        url: sim.distUrl,
        identity: identity(o.as ?? CERT_CNPJ),
        body: env.body,
        contentType: env.contentType,
        ...(env.soapAction === undefined ? {} : { soapAction: env.soapAction }),
      });
      return parseDistResponse(answer.body);
    },
    async stop() {
      transport.close();
      await sim.stop();
    },
  };
}

/**
 * One harness for the whole test file, with TLS material for `cnpjs`: started before its
 * first test, stopped and its material removed after its last. Filled in by the time a test runs.
 */
export function useHarness(cnpjs?: string[]): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    Object.assign(h, await startHarness(makeTlsMaterial(cnpjs)));
  });
  afterAll(async () => {
    await h.stop();
    h.material.remove();
  });
  return h;
}

export const distNSU = (ultNSU: string | number): DistQuery => ({ kind: 'distNSU', ultNSU: String(ultNSU).padStart(15, '0') });
export const consNSU = (nsu: string | number): DistQuery => ({ kind: 'consNSU', NSU: String(nsu).padStart(15, '0') });
export const consChNFe = (chNFe: string): DistQuery => ({ kind: 'consChNFe', chNFe });
