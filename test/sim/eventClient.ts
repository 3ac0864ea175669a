/**
 * The test client of the simulator's NFeRecepcaoEvento4: the product's own builder,
 * signer, envelope and parser (src/sefaz/events.ts, src/cert/sign.ts,
 * src/sefaz/eventEnvelope.ts, src/sefaz/eventResponse.ts), over the harness's mutual TLS.
 * Only tests may load them next to the simulator: the simulator verifies on its own.
 */
import { signEnvEvento, type SigningIdentity } from '../../src/cert/sign.js';
import { buildEnvEvento, formatDhEvento, type EventCode, type EventInput } from '../../src/sefaz/events.js';
import { buildEventEnvelope } from '../../src/sefaz/eventEnvelope.js';
import { parseEventResponse, type EventBatchResult } from '../../src/sefaz/eventResponse.js';
import type { SoapAnswer } from '../../src/transport/soapTransport.js';
import { CERT_CNPJ, type Harness } from './harness.js';

export const TIME_ZONE = 'America/Sao_Paulo';

/** An event of `author` about `chNFe`, dated by the harness's clock. */
export function event(h: Harness, author: string, chNFe: string, tpEvento: EventCode = '210210', over: Partial<EventInput> = {}): EventInput {
  return { tpAmb: '2', author: { CNPJ: author }, chNFe, tpEvento, dhEvento: formatDhEvento(h.clock.now(), TIME_ZONE), ...over };
}

/** The signing identity of a CNPJ's test certificate. */
export function signer(h: Harness, certCnpj: string = CERT_CNPJ): SigningIdentity {
  const id = h.material.identities.get(certCnpj);
  if (id === undefined) throw new Error(`no test identity for ${certCnpj}`);
  return { keyPem: id.keyPem, certPem: id.certPem };
}

let lote = 0;

/** A signed envEvento; `edit` changes the unsigned text first (to build what the builder refuses). */
export function signedBatch(events: EventInput[], identity: SigningIdentity, edit: (xml: string) => string = (x) => x): string {
  return signEnvEvento(edit(buildEnvEvento({ idLote: String(++lote), events })), identity);
}

/** Posts a signed envEvento (or any text) in the client's envelope; `as` is the TLS certificate used. */
export function post(h: Harness, signedEnvEvento: string, opts: { as?: string; action?: string } = {}): Promise<SoapAnswer> {
  const env = buildEventEnvelope(signedEnvEvento, opts.action === undefined ? {} : { action: opts.action });
  return postRaw(h, env.body, env.contentType, opts.as);
}

export function postRaw(h: Harness, body: string, contentType: string, as: string = CERT_CNPJ, soapAction?: string): Promise<SoapAnswer> {
  return h.transport.post({
    url: h.sim.eventUrl,
    identity: h.material.identities.get(as)!,
    body,
    contentType,
    ...(soapAction === undefined ? {} : { soapAction }),
  });
}

/** Builds, signs (with `signedBy`'s certificate), sends and parses one batch. */
export async function manifest(h: Harness, events: EventInput[], signedBy: string = CERT_CNPJ): Promise<EventBatchResult> {
  const answer = await post(h, signedBatch(events, signer(h, signedBy)));
  return parseEventResponse(answer.body, events.map((e) => ({ chNFe: e.chNFe, tpEvento: e.tpEvento, nSeqEvento: e.nSeqEvento ?? 1 })));
}
