/**
 * Every error the product raises on purpose is a DfeSyncError: it has a stable `code`
 * an operator can grep for, a message a person can act on, and the SEFAZ cStat when
 * SEFAZ gave one. Messages never contain passwords or key material.
 */
export class DfeSyncError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: { cStat?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
  }
  get cStat(): string | undefined {
    return this.details.cStat;
  }
}
