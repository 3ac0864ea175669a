/**
 * A TLS handshake with each SEFAZ endpoint, exactly as the transport makes it (mutual,
 * TLS 1.2 at most, server always verified), and nothing more: no HTTP request, so no
 * SEFAZ query and no risk of a 656.
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { LoadedCertificate } from '../cert/load.js';
import type { Config } from '../config/index.js';
import { TlsError, classifyNetworkError } from '../transport/errors.js';
import { fail, ok, type CheckResult } from './check.js';

/** The ITI publishes every ICP-Brasil CA; SEFAZ's servers present chains under them. */
export const ICP_BRASIL_HINT = [
  "SEFAZ's servers present ICP-Brasil certificates, which Node does not trust by default. To trust them:",
  '1. download the ICP-Brasil chains from the ITI repository of ICP-Brasil certificates ("cadeias" of the AC Raiz,',
  '   https://www.gov.br/iti/pt-br/assuntos/repositorio/repositorio-ac-raiz), e.g. every AC chain in one zip:',
  '   https://acraiz.icpbrasil.gov.br/credenciadas/CertificadosAC-ICP-Brasil/ACcompactado.zip',
  '2. unzip it and concatenate the certificates as PEM into one file: cat *.crt > /etc/dfe-sync/icp-brasil.pem',
  '   (convert a DER certificate first with openssl x509 -inform der -in FILE)',
  '3. set sefaz.caFile to that file in the config, and run dfe-sync doctor again',
].join('\n');

/** What the transport says when the server's chain is not trusted (see transport/errors.ts). */
const UNTRUSTED_CHAIN_HINT = 'set sefaz.caFile to the ICP-Brasil chain';

export interface Endpoint {
  host: string;
  port: number;
  /** host:port, as the check names it */
  label: string;
}

/** The distinct hosts of `sefaz.urls`: one handshake each. */
export function endpointsOf(config: Config): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const raw of [config.sefaz.urls.distribuicao, config.sefaz.urls.recepcaoEvento]) {
    const url = new URL(raw);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? 443 : Number(url.port);
    const label = `${url.hostname}:${port}`;
    if (!seen.has(label)) seen.set(label, { host, port, label });
  }
  return [...seen.values()];
}

export interface HandshakeOptions {
  certificate: LoadedCertificate;
  /** Extra trusted CAs (sefaz.caFile), added to Node's roots as the transport does. */
  caPem: string | null;
  timeoutMs: number;
}

const cn = (name: { CN?: string | string[] } | undefined): string => {
  const v = name?.CN;
  return Array.isArray(v) ? v.join(', ') : v ?? '?';
};

export function checkHandshake(endpoint: Endpoint, opts: HandshakeOptions): Promise<CheckResult> {
  const check = `TLS ${endpoint.label}`;
  const url = `https://${endpoint.label}`;
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const socket = tls.connect({
      host: endpoint.host,
      port: endpoint.port,
      ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      key: opts.certificate.keyPem,
      cert: [opts.certificate.certPem, ...opts.certificate.chainPem].join('\n'),
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ...(opts.caPem === null ? {} : { ca: [...tls.rootCertificates, opts.caPem] }),
    });
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      finish(fail(check, `no TLS handshake within ${opts.timeoutMs / 1000} s (${connected ? 'connected, then silence' : 'no TCP connection'}): check DNS, firewall and proxy rules for HTTPS to ${endpoint.label}`));
    }, opts.timeoutMs);
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      const protocol = socket.getProtocol() ?? 'TLS';
      socket.end();
      finish(
        ok(
          check,
          `${protocol} handshake done with the certificate of CNPJ ${opts.certificate.cnpj ?? '(none)'}; server ${cn(peer.subject)}, issued by ${cn(peer.issuer)}, valid to ${peer.valid_to}`,
        ),
      );
    });
    socket.once('error', (error) => {
      socket.destroy();
      const classified = classifyNetworkError(error, { connected, secured: false, responding: false }, url);
      const untrusted = classified instanceof TlsError && classified.hint === UNTRUSTED_CHAIN_HINT;
      finish(fail(check, untrusted ? `${classified.message}\n${ICP_BRASIL_HINT}` : classified.message));
    });
  });
}
