import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { assertUsable, readPfx, type LoadedCertificate } from '../cert/load.js';
import type { Clock } from '../clock.js';
import { readCompanyPassword, type CompanyConfig } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import type { TlsIdentity } from '../transport/soapTransport.js';

export interface CompanyCertificate {
  identity: TlsIdentity;
  certificate: LoadedCertificate;
  file: string;
  /** of the file when this certificate was read from it (the file may have changed since) */
  mtimeMs: number;
}

/** A version of a .pfx that cannot serve a company, and what is used instead. */
export interface CertificateRejection {
  file: string;
  version: string;
  error: DfeSyncError;
  /** the previous certificate, still used; null when it cannot serve either */
  kept: LoadedCertificate | null;
}

/** What the cache tells the caller who passes it to `get` about a .pfx replaced on disk. */
export interface CertificateEvents {
  /** the file's new content is in use (not called for a file's first load) */
  replaced(company: CompanyConfig, current: LoadedCertificate, previous: LoadedCertificate): void;
  /** the file changed and its new content cannot serve this company: once per company and version */
  rejected(company: CompanyConfig, rejection: CertificateRejection): void;
}

/** No certificate may serve the company now: why (the code of the underlying problem), and which file. */
export class CertificateUnusableError extends DfeSyncError {
  constructor(
    problem: DfeSyncError,
    message: string,
    readonly file: string,
    readonly version: string,
    /** the notAfter of the certificate the message speaks of, when one was read */
    readonly notAfter: number | null,
  ) {
    super(problem.code, message, { cause: problem });
  }
}

interface Version {
  key: string;
  mtimeMs: number;
}

interface Held extends Version {
  certificate: LoadedCertificate;
}

interface Latest extends Version {
  /** a fixed password file must get its chance even when the .pfx did not change */
  passwordDigest: string;
  result: LoadedCertificate | DfeSyncError;
  reportedTo: Set<string>;
}

interface FileEntry {
  /** the last version found usable: kept while a replacement is rejected */
  held: Held | null;
  /** the version on disk, decoded once */
  latest: Latest | null;
}

/** Inode, mtime and size: a file renamed over the old one or rewritten in place is a new version. */
function versionOf(file: string): Version {
  try {
    const s = statSync(file);
    return { key: `${s.ino}-${s.mtimeMs}-${s.size}`, mtimeMs: s.mtimeMs };
  } catch (err) {
    return { key: `absent-${(err as NodeJS.ErrnoException).code ?? 'unknown'}`, mtimeMs: -1 };
  }
}

function usabilityProblem(certificate: LoadedCertificate, file: string, company: CompanyConfig, now: number): DfeSyncError | null {
  try {
    assertUsable(certificate, file, { expectCnpj: company.cnpj, now });
    return null;
  } catch (err) {
    if (err instanceof DfeSyncError) return err;
    throw err;
  }
}

function companyCertificate(file: string, held: Held): CompanyCertificate {
  const { certificate } = held;
  return {
    identity: { id: `${file}@${held.key}`, keyPem: certificate.keyPem, certPem: certificate.certPem, chainPem: certificate.chainPem },
    certificate,
    file,
    mtimeMs: held.mtimeMs,
  };
}

/**
 * Certificates are decoded lazily, on a company's first call, and once per version of
 * the file: a .pfx takes ~14 ms to decode and 10,000 of them must not stall start-up,
 * while a renewed file dropped in place is picked up on the next use, without a restart.
 * A new version that cannot serve (another CNPJ, out of its dates, wrong password,
 * unreadable) leaves the previous certificate in use while that one can still serve,
 * and is not decoded again until the file or its password changes. The checks against
 * the company's CNPJ and the clock run on every use.
 */
export class CertificateCache {
  /** Keyed by file alone: branches of one company share the head office's certificate. */
  private readonly files = new Map<string, FileEntry>();

  constructor(
    private readonly clock: Clock,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The certificate the company may use now; throws CertificateUnusableError when none may. */
  get(company: CompanyConfig, events?: CertificateEvents): CompanyCertificate {
    const file = company.certificate.pfx;
    const now = this.clock.now();
    let entry = this.files.get(file);
    if (entry === undefined) {
      entry = { held: null, latest: null };
      this.files.set(file, entry);
    }
    const latest = this.latestOf(entry, company, file);
    const problem = latest.result instanceof DfeSyncError ? latest.result : usabilityProblem(latest.result, file, company, now);
    if (problem === null) {
      const certificate = latest.result as LoadedCertificate;
      const previous = entry.held;
      if (previous?.certificate !== certificate) {
        entry.held = { key: latest.key, mtimeMs: latest.mtimeMs, certificate };
        if (previous !== null && previous.certificate.fingerprint256 !== certificate.fingerprint256) {
          events?.replaced(company, certificate, previous.certificate);
        }
      }
      return companyCertificate(file, entry.held!);
    }

    const held = entry.held;
    if (held === null || held.certificate === latest.result) {
      const notAfter = latest.result instanceof DfeSyncError ? null : latest.result.notAfter.getTime();
      throw new CertificateUnusableError(problem, problem.message, file, latest.key, notAfter);
    }
    // The file (or its password) changed and the new content cannot serve.
    const heldProblem = usabilityProblem(held.certificate, file, company, now);
    if (events !== undefined && !latest.reportedTo.has(company.cnpj)) {
      latest.reportedTo.add(company.cnpj);
      events.rejected(company, { file, version: latest.key, error: problem, kept: heldProblem === null ? held.certificate : null });
    }
    if (heldProblem === null) return companyCertificate(file, held);
    throw new CertificateUnusableError(
      heldProblem,
      `${heldProblem.message}; the new content of ${file} was not accepted either: ${problem.message}`,
      file,
      held.key,
      held.certificate.notAfter.getTime(),
    );
  }

  forget(): void {
    this.files.clear();
  }

  /** The version on disk, decoded when it (or the password) is new to the cache. */
  private latestOf(entry: FileEntry, company: CompanyConfig, file: string): Latest {
    const version = versionOf(file);
    let password: string | DfeSyncError;
    try {
      password = readCompanyPassword(company, this.env);
    } catch (err) {
      if (!(err instanceof DfeSyncError)) throw err;
      password = err;
    }
    // A digest, so that the cache holds no password.
    const passwordDigest = typeof password === 'string'
      ? createHash('sha256').update(password).digest('base64')
      : `unavailable: ${password.message}`;
    const cached = entry.latest;
    if (cached !== null && cached.key === version.key && cached.passwordDigest === passwordDigest) return cached;
    let result: LoadedCertificate | DfeSyncError;
    if (typeof password !== 'string') {
      result = password;
    } else {
      try {
        result = readPfx(file, password);
      } catch (err) {
        if (!(err instanceof DfeSyncError)) throw err;
        result = err;
      }
    }
    entry.latest = { ...version, passwordDigest, result, reportedTo: new Set() };
    return entry.latest;
  }
}
