import { DfeSyncError } from '../errors.js';

/**
 * Raised when the rule engine is handed something it cannot decide on safely: a window
 * or setting that makes no sense, or an answer to a request the state never made. The
 * caller (config, store) is expected to add where the input came from.
 */
export class RuleInputError extends DfeSyncError {}
