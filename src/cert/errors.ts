import { DfeSyncError } from '../errors.js';

export type CertificateErrorCode =
  | 'CERT_FILE_MISSING'
  | 'CERT_FILE_UNREADABLE'
  | 'CERT_NOT_PKCS12'
  | 'CERT_UNSUPPORTED'
  | 'CERT_BAD_PASSWORD'
  | 'CERT_NO_KEY'
  | 'CERT_NOT_X509'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_NO_CNPJ'
  | 'CERT_CNPJ_MISMATCH'
  | 'CERT_TEST_MATERIAL_INCOMPLETE';

/** A certificate that cannot be used, and what to do about it. Never carries a password. */
export class CertificateError extends DfeSyncError {
  declare readonly code: CertificateErrorCode;
  constructor(code: CertificateErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}
