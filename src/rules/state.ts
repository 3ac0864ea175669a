/**
 * What the rule engine knows about one CNPJ, and its settings. The store persists the
 * state exactly as it is (plain JSON data, times as epoch milliseconds), so every wait
 * and block survives a restart.
 */
import { RuleInputError } from './errors.js';

export const HOUR_MS = 3_600_000;
/** SEFAZ's limit on consNSU + consChNFe per hour (NT 2014.002): the 21st earns a 656. */
export const SEFAZ_TARGETED_LIMIT = 20;
/** distNSU answers carry at most this many documents. */
export const MAX_DOCS_PER_BATCH = 50;

/** Why the next distNSU must wait (a 656 block is kept apart: it stops every kind of call). */
export type DistWaitReason = 'nothing-left' | 'lost-answer-maybe-137' | 'backoff';

/** A company stopped until the operator acts (wrong certificate, wrong environment…). */
export interface Stop {
  code: string;
  cStat?: string;
  message: string;
}

export interface CompanyState {
  /** last ultNSU SEFAZ returned (15 digits); null: never answered, start from startNSU */
  ultNSU: string | null;
  maxNSU: string | null;
  /** no distNSU before this instant */
  nextDistAt: number | null;
  nextDistReason: DistWaitReason | null;
  /** after a 656: no call of any kind before this instant */
  blockedUntil: number | null;
  blockedReason: string | null;
  /** consecutive failed distNSU calls, for the backoff */
  failures: number;
  stopped: Stop | null;
  /** send times of consNSU/consChNFe calls still inside the rolling hour, ascending */
  targetedCalls: number[];
  /** whether SEFAZ has ever answered a distNSU for this CNPJ */
  answered: boolean;
  /** the last 656 SEFAZ gave although every rule was kept */
  anotherSystem: { at: number; message: string } | null;
  /**
   * A distNSU sent whose outcome is not yet applied. Persisted before sending, so that
   * after a crash the call is treated as an answer lost after sending: SEFAZ may have
   * answered 137, or a 138 ending at maxNSU, and an immediate retry would earn a 656.
   */
  distInFlight: { ultNSU: string; at: number } | null;
}

export function initialCompanyState(): CompanyState {
  return {
    ultNSU: null,
    maxNSU: null,
    nextDistAt: null,
    nextDistReason: null,
    blockedUntil: null,
    blockedReason: null,
    failures: 0,
    stopped: null,
    targetedCalls: [],
    answered: false,
    anotherSystem: null,
    distInFlight: null,
  };
}

export interface RuleSettings {
  /** added to every hour-long wait, to cover latency and clock differences */
  safetyMarginMs: number;
  /** consNSU + consChNFe allowed in any rolling hour; never above 20 */
  targetedPerHour: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RULE_SETTINGS: Readonly<RuleSettings> = {
  safetyMarginMs: 120_000,
  targetedPerHour: 19,
  backoffBaseMs: 30_000,
  backoffMaxMs: 900_000,
};

/** Below this the margin may not cover a slow request plus the difference between clocks. */
const THIN_MARGIN_MS = 60_000;

/**
 * Settings from configuration, defaults filled in. A targetedPerHour above SEFAZ's 20 is
 * lowered to 20 and said so in `warnings`; values that cannot be meant are errors.
 */
export function resolveRuleSettings(input: Partial<RuleSettings> = {}): {
  settings: RuleSettings;
  warnings: string[];
} {
  const settings: RuleSettings = { ...DEFAULT_RULE_SETTINGS };
  for (const key of Object.keys(DEFAULT_RULE_SETTINGS) as (keyof RuleSettings)[]) {
    const value = input[key];
    if (value !== undefined) settings[key] = value;
  }
  const warnings: string[] = [];
  const invalid = (what: string): never => {
    throw new RuleInputError('INVALID_RULE_SETTINGS', what);
  };
  if (!Number.isFinite(settings.safetyMarginMs) || settings.safetyMarginMs < 0) {
    invalid(`safetyMarginMs must be a number of milliseconds >= 0, not ${settings.safetyMarginMs}`);
  }
  if (!Number.isInteger(settings.targetedPerHour) || settings.targetedPerHour < 0) {
    invalid(`targetedPerHour must be a whole number >= 0, not ${settings.targetedPerHour}`);
  }
  if (!Number.isFinite(settings.backoffBaseMs) || settings.backoffBaseMs <= 0) {
    invalid(`backoffBaseMs must be a number of milliseconds > 0, not ${settings.backoffBaseMs}`);
  }
  if (!Number.isFinite(settings.backoffMaxMs) || settings.backoffMaxMs < settings.backoffBaseMs) {
    invalid(`backoffMaxMs must be at least backoffBaseMs (${settings.backoffBaseMs}), not ${settings.backoffMaxMs}`);
  }
  if (settings.targetedPerHour > SEFAZ_TARGETED_LIMIT) {
    warnings.push(
      `targetedPerHour ${settings.targetedPerHour} is above SEFAZ's limit of ${SEFAZ_TARGETED_LIMIT} consNSU/consChNFe per hour (the next one earns a 656): using ${SEFAZ_TARGETED_LIMIT}`,
    );
    settings.targetedPerHour = SEFAZ_TARGETED_LIMIT;
  }
  if (settings.safetyMarginMs < THIN_MARGIN_MS) {
    warnings.push(
      `safetyMarginMs ${settings.safetyMarginMs} is under ${THIN_MARGIN_MS} ms: a slow answer or a clock difference may turn a wait into a 656`,
    );
  }
  return { settings, warnings };
}

/** The limit actually applied, whatever settings were passed in. */
export function targetedLimit(settings: RuleSettings): number {
  return Math.max(0, Math.min(SEFAZ_TARGETED_LIMIT, Math.floor(settings.targetedPerHour)));
}

/** The length of every SEFAZ hour as we count it: one hour plus the safety margin. */
export function guardedHour(settings: RuleSettings): number {
  return HOUR_MS + Math.max(0, settings.safetyMarginMs);
}
