import { DfeSyncError } from '../errors.js';

export type SimulatorErrorCode = 'SIM_BAD_INPUT' | 'SIM_NOT_RUNNING';

/** A simulator set up or driven with something it cannot use. */
export class SimulatorError extends DfeSyncError {
  declare readonly code: SimulatorErrorCode;
  constructor(code: SimulatorErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
  }
}
