import { statSync } from 'node:fs';
import { assertUsable, loadPfx, type LoadedCertificate } from '../cert/load.js';
import type { Clock } from '../clock.js';
import { readCompanyPassword, type CompanyConfig } from '../config/index.js';
import type { TlsIdentity } from '../transport/soapTransport.js';

export interface CompanyCertificate {
  identity: TlsIdentity;
  certificate: LoadedCertificate;
  file: string;
  mtimeMs: number;
}

/**
 * Certificates are decoded lazily, on a company's first call, and cached per file and
 * modification time: a .pfx takes ~14 ms to decode and 10,000 of them must not stall
 * start-up, while a renewed file replaced in place is picked up on the next call.
 * The check against the company's CNPJ and the clock runs on every use.
 */
export class CertificateCache {
  private readonly cache = new Map<string, { mtimeMs: number; certificate: LoadedCertificate }>();

  constructor(
    private readonly clock: Clock,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get(company: CompanyConfig): CompanyCertificate {
    const file = company.certificate.pfx;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      mtimeMs = -1; // loadPfx reports the missing or unreadable file in words
    }
    // Keyed by file alone: branches of one company share the head office's certificate.
    const cached = this.cache.get(file);
    let certificate: LoadedCertificate;
    if (cached !== undefined && cached.mtimeMs === mtimeMs) {
      certificate = cached.certificate;
      assertUsable(certificate, file, { expectCnpj: company.cnpj, now: this.clock.now() });
    } else {
      certificate = loadPfx(file, readCompanyPassword(company, this.env), {
        expectCnpj: company.cnpj,
        now: this.clock.now(),
      });
      this.cache.set(file, { mtimeMs, certificate });
    }
    return {
      identity: { id: `${file}@${mtimeMs}`, keyPem: certificate.keyPem, certPem: certificate.certPem, chainPem: certificate.chainPem },
      certificate,
      file,
      mtimeMs,
    };
  }

  forget(): void {
    this.cache.clear();
  }
}
