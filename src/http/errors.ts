import { DfeSyncError } from '../errors.js';

export type HttpServerErrorCode = 'HTTP_AUTH_OFF_NOT_LOOPBACK' | 'HTTP_TOKEN_UNREADABLE' | 'HTTP_TOKEN_EMPTY' | 'HTTP_TOKEN_INVALID' | 'HTTP_LISTEN_FAILED';

/** The status server could not start as configured; the message says which setting to change. */
export class HttpServerError extends DfeSyncError {
  declare readonly code: HttpServerErrorCode;
  constructor(code: HttpServerErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}
