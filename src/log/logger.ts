import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { systemClock, type Clock } from '../clock.js';

/**
 * JSON logs, one line per event, that an operator greps by `cnpj`. Secrets are redacted
 * by key name at every depth (pino's own `redact` needs explicit paths, and an error's
 * `cause` or a config object can nest a password anywhere).
 */
const SECRET_KEY = /pass(word|wd|phrase)?$|^pass|secret|token|private|keyPem|^key$|pfxData|authorization|cookie/i;

export const REDACTED = '[redacted]';

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Error) {
    const { message, name, stack: _stack, ...rest } = value as Error & Record<string, unknown>;
    return { type: name, message, ...(redactSecrets(rest, depth + 1) as object) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}

/** `clock` stamps the lines, so a sped-up run (the demo) logs in its own time. */
export function createLogger(opts: { level?: LevelWithSilent; destination?: DestinationStream; clock?: Clock } = {}): Logger {
  const clock = opts.clock ?? systemClock;
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'dfe-sync' },
      timestamp: () => `,"time":"${new Date(clock.now()).toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactSecrets(obj) as Record<string, unknown>,
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export type { Logger };
