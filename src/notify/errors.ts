import { DfeSyncError } from '../errors.js';

export type DeliveryErrorCode =
  | 'WEBHOOK_HTTP_ERROR'
  | 'WEBHOOK_REJECTED'
  | 'WEBHOOK_REDIRECTED'
  | 'WEBHOOK_UNREACHABLE'
  | 'WEBHOOK_TIMEOUT'
  | 'WEBHOOK_SECRET_UNAVAILABLE'
  | 'COMMAND_FAILED'
  | 'COMMAND_TIMEOUT'
  | 'COMMAND_NOT_STARTED'
  | 'CONTACT_REMOVED';

/**
 * A delivery attempt that did not reach its contact. `retryable` says whether trying again
 * later can help (a 500, a timeout) or not (a 404, a contact no longer configured).
 * Messages name the host or the program, never a URL's path or query (webhook URLs often
 * embed a token) and never a secret.
 */
export class DeliveryError extends DfeSyncError {
  declare readonly code: DeliveryErrorCode;
  constructor(
    code: DeliveryErrorCode,
    message: string,
    readonly retryable: boolean,
    /** the receiver asked for this wait (Retry-After), in milliseconds */
    readonly retryAfterMs: number | null = null,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}
