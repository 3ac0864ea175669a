/**
 * Loading a company's A1 certificate from its .pfx and deciding whether it may be used.
 * Callers cache: a daemon with thousands of companies loads each one lazily, once.
 */
import { readFileSync } from 'node:fs';
import { cnpjBase } from '../sefaz/identifiers.js';
import { CertificateError } from './errors.js';
import { decodePfx, type LoadedCertificate } from './pkcs12.js';

export { CertificateError, type CertificateErrorCode } from './errors.js';
export { readCertificateFacts, type CertificateFacts } from './facts.js';
export type { LoadedCertificate } from './pkcs12.js';

export interface UsableOptions {
  /** The company's configured CNPJ: the certificate's CNPJ base (first 8 characters) must match. */
  expectCnpj?: string;
  /** Milliseconds since the epoch; defaults to now. */
  now?: number;
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CertificateError(
        'CERT_FILE_MISSING',
        `certificate file ${file} does not exist: check the path in certificate.pfx (relative paths start at the working directory)`,
        e,
      );
    }
    throw new CertificateError(
      'CERT_FILE_UNREADABLE',
      `certificate file ${file} cannot be read (${code ?? String(e)}): give the user running dfe-sync read access to it`,
      e,
    );
  }
}

/** Reads and decodes a .pfx without judging it (what `cert inspect` shows, expired or not). */
export function readPfx(file: string, password: string): LoadedCertificate {
  return decodePfx(readBytes(file), password, file);
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** Throws when the certificate cannot serve now, or belongs to another company. */
export function assertUsable(cert: LoadedCertificate, file: string, opts: UsableOptions = {}): void {
  const now = opts.now ?? Date.now();
  const holder = cert.cnpj === null ? '' : ` (CNPJ ${cert.cnpj})`;
  if (opts.expectCnpj !== undefined) {
    if (cert.cnpj === null) {
      throw new CertificateError(
        'CERT_NO_CNPJ',
        `certificate in ${file} carries no CNPJ (neither ICP-Brasil otherName 2.16.76.1.3.3 nor a NAME:CNPJ common name), so it cannot authenticate CNPJ ${opts.expectCnpj}: use the company's e-CNPJ A1 certificate`,
      );
    }
    if (cnpjBase(cert.cnpj) !== cnpjBase(opts.expectCnpj)) {
      throw new CertificateError(
        'CERT_CNPJ_MISMATCH',
        `certificate in ${file} belongs to CNPJ ${cert.cnpj} (base ${cnpjBase(cert.cnpj)}), not to the company's CNPJ ${opts.expectCnpj} (base ${cnpjBase(opts.expectCnpj)}); SEFAZ would answer 593: point certificate.pfx at this company's certificate`,
      );
    }
  }
  if (now > cert.notAfter.getTime()) {
    throw new CertificateError(
      'CERT_EXPIRED',
      `certificate in ${file}${holder} expired on ${day(cert.notAfter)}: install the renewed A1 certificate`,
    );
  }
  if (now < cert.notBefore.getTime()) {
    throw new CertificateError(
      'CERT_NOT_YET_VALID',
      `certificate in ${file}${holder} is valid only from ${cert.notBefore.toISOString()}: check this machine's clock, or keep the current certificate until then`,
    );
  }
}

/** A customer's A1 .pfx, decoded and checked: its PEMs go to TLS as they are. */
export function loadPfx(file: string, password: string, opts: UsableOptions = {}): LoadedCertificate {
  const cert = readPfx(file, password);
  assertUsable(cert, file, opts);
  return cert;
}
