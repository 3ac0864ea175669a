import { StoreError } from './errors.js';
import type { EpochMs } from './types.js';

/**
 * The part of a company's rule state the store reads. The rest of the state belongs to
 * `rules/` and is kept verbatim as JSON, so the store never needs to change when the
 * rules learn something new.
 */
export interface RuleStateColumns {
  ultNSU: string | null;
  maxNSU: string | null;
  nextDistAt: EpochMs | null;
  nextDistReason?: string | null;
  blockedUntil: EpochMs | null;
  /** null while the company runs; otherwise why it stopped until the operator acts. */
  stopped: { message: string } | null;
}

/** The companies' columns that mirror the state, so status and SQL need not parse JSON. */
export interface StateColumnValues {
  rule_state: string;
  ultNSU: string | null;
  maxNSU: string | null;
  next_dist_at: EpochMs | null;
  next_dist_reason: string | null;
  blocked_until: EpochMs | null;
  stopped: string | null;
}

const NSU = /^[0-9]{15}$/;

function nsu(cnpj: string, name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && NSU.test(value)) return value;
  throw new StoreError('STORE_INVALID_STATE', `refusing to save the state of ${cnpj}: ${name} ${JSON.stringify(value)} is not a 15-digit NSU`);
}

function time(cnpj: string, name: string, value: unknown): EpochMs | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value);
  throw new StoreError('STORE_INVALID_STATE', `refusing to save the state of ${cnpj}: ${name} ${JSON.stringify(value)} is not a time in epoch milliseconds`);
}

/** SQL assigning every StateColumnValues to its column, from named parameters. */
export const SET_STATE_COLUMNS = `rule_state = @rule_state, ultNSU = @ultNSU, maxNSU = @maxNSU,
    next_dist_at = @next_dist_at, next_dist_reason = @next_dist_reason,
    blocked_until = @blocked_until, stopped = @stopped`;

/** The one place a rule state becomes column values. */
export function stateColumns(cnpj: string, state: RuleStateColumns): StateColumnValues {
  return {
    rule_state: JSON.stringify(state),
    ultNSU: nsu(cnpj, 'ultNSU', state.ultNSU),
    maxNSU: nsu(cnpj, 'maxNSU', state.maxNSU),
    next_dist_at: time(cnpj, 'nextDistAt', state.nextDistAt),
    next_dist_reason: state.nextDistReason ?? null,
    blocked_until: time(cnpj, 'blockedUntil', state.blockedUntil),
    stopped: state.stopped?.message ?? null,
  };
}
