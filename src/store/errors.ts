import { DfeSyncError } from '../errors.js';

export type StoreErrorCode =
  | 'STORE_OPEN_FAILED'
  | 'STORE_SCHEMA_TOO_NEW'
  | 'STORE_UNKNOWN_COMPANY'
  | 'STORE_INVALID_STATE'
  | 'STORE_TARGETED_CALL_MOVED_CURSOR'
  | 'STORE_STALE_BATCH'
  | 'STORE_STATE_MOVED_CURSOR';

/** The state database refused an operation; the message names the file or CNPJ and what to do. */
export class StoreError extends DfeSyncError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}
