import { describe, expect, it } from 'vitest';
import { classifyNetworkError, TlsError, type ExchangeState } from '../../src/transport/errors.js';

const ENDPOINT = 'https://www1.nfe.fazenda.gov.br/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx';
const fresh: ExchangeState = { connected: false, secured: false, responding: false };
const connected: ExchangeState = { connected: true, secured: false, responding: false };
const sent: ExchangeState = { connected: true, secured: true, responding: false };
const responding: ExchangeState = { connected: true, secured: true, responding: true };

function nodeError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyNetworkError', () => {
  it.each([
    ['ENOTFOUND', fresh],
    ['EAI_AGAIN', fresh],
    ['ECONNREFUSED', fresh],
    ['EHOSTUNREACH', fresh],
    ['ECONNRESET', fresh],
  ])('%s before the TCP connection is CONNECT_ERROR before-send', (code, state) => {
    const err = classifyNetworkError(nodeError(code), state, ENDPOINT);
    expect([err.code, err.phase]).toEqual(['CONNECT_ERROR', 'before-send']);
    expect(err.message).toContain(ENDPOINT);
  });

  it('a reset during the handshake is a TLS error before-send', () => {
    const err = classifyNetworkError(nodeError('ECONNRESET'), connected, ENDPOINT);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.phase).toBe('before-send');
  });

  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'set sefaz.caFile to the ICP-Brasil chain'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'set sefaz.caFile to the ICP-Brasil chain'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'set sefaz.caFile to the ICP-Brasil chain'],
    ['CERT_HAS_EXPIRED', "check this machine's clock"],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'check the host in sefaz.urls'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'issued by ICP-Brasil, valid and not revoked'],
    ['ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED', 'issued by ICP-Brasil, valid and not revoked'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'certificate.pfx'],
  ])('%s in the handshake gets its hint', (code, hint) => {
    const err = classifyNetworkError(nodeError(code), connected, ENDPOINT);
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).hint).toContain(hint);
    expect(err.message).toContain(hint);
    expect(err.phase).toBe('before-send');
  });

  it('a client certificate refused by renegotiation after the request is still before-send', () => {
    const err = classifyNetworkError(nodeError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), sent, ENDPOINT);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.phase).toBe('before-send');
  });

  it('any other TLS failure once the request was sent is after-send', () => {
    const err = classifyNetworkError(nodeError('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC'), sent, ENDPOINT);
    expect([err.code, err.phase]).toEqual(['CONNECTION_RESET', 'after-send']);
  });

  it.each(['ECONNRESET', 'EPIPE', 'ETIMEDOUT'])('%s after the request was sent is CONNECTION_RESET after-send', (code) => {
    const err = classifyNetworkError(nodeError(code), sent, ENDPOINT);
    expect([err.code, err.phase]).toEqual(['CONNECTION_RESET', 'after-send']);
  });

  it('an error once the answer started is TRUNCATED_RESPONSE, even a certificate alert', () => {
    for (const code of ['ECONNRESET', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE']) {
      const err = classifyNetworkError(nodeError(code), responding, ENDPOINT);
      expect([err.code, err.phase]).toEqual(['TRUNCATED_RESPONSE', 'after-send']);
    }
  });
});
