import { DfeSyncError } from '../errors.js';

/** A distDFeInt we refuse to build: sending it would only earn a rejection (or worse, a 656). */
export class BadRequestError extends DfeSyncError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

/**
 * An answer we cannot understand at all (not XML, no retDistDFeInt, no cStat). The
 * request may still have been processed by SEFAZ, so the caller treats it as a lost
 * answer: the cursor does not move.
 */
export class ResponseParseError extends DfeSyncError {
  constructor(message: string, cause?: unknown) {
    super('UNPARSABLE_RESPONSE', message, cause === undefined ? {} : { cause });
  }
}

/** The service answered with a SOAP Fault instead of a retDistDFeInt. */
export class SoapFaultError extends DfeSyncError {
  constructor(
    readonly faultCode: string,
    readonly reason: string,
  ) {
    super('SOAP_FAULT', `SEFAZ answered with a SOAP Fault (${faultCode || 'no fault code'}): ${reason || 'no reason given'}`);
  }
}
