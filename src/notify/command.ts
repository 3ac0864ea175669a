import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { DeliveryError, type DeliveryErrorCode } from './errors.js';

export interface CommandHookOptions {
  timeoutMs: number;
  /** kills the program when the worker stops */
  signal?: AbortSignal;
  /** added to the program's small environment (see below) */
  extraEnv?: Record<string, string>;
}

/**
 * The environment a hook runs with: the basics a script needs, not the daemon's own,
 * which may hold certificate passwords (passwordEnv) and webhook secrets.
 */
function hookEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Runs `argv` (no shell) with `body` on its standard input. Resolves when it exits 0;
 * otherwise throws a retryable DeliveryError with the exit status and the end of what it
 * wrote to stderr.
 */
export function runCommandHook(argv: readonly string[], body: string, opts: CommandHookOptions): Promise<void> {
  const [program, ...args] = argv;
  const name = basename(program ?? '');
  return new Promise((resolve, reject) => {
    if (program === undefined) {
      reject(new DeliveryError('COMMAND_NOT_STARTED', 'the command hook names no program', false));
      return;
    }
    const child = spawn(program, args, {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: hookEnv(opts.extraEnv ?? {}),
      ...(opts.signal === undefined ? {} : { signal: opts.signal, killSignal: 'SIGKILL' as const }),
    });
    // Real time, not the injected clock: it bounds a real process.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    let spawnError: NodeJS.ErrnoException | null = null;
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError ??= err;
    });
    // A program that exits without reading its input closes the pipe: not our failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.replace(/\s+/g, ' ').trim().slice(-300);
      const said = tail === '' ? '' : `: ${tail}`;
      const fail = (errorCode: DeliveryErrorCode, message: string) => reject(new DeliveryError(errorCode, message, true, null, spawnError ?? undefined));
      if (opts.signal?.aborted) fail('COMMAND_FAILED', `command hook ${name}: interrupted, dfe-sync is stopping`);
      else if (spawnError !== null) fail('COMMAND_NOT_STARTED', `command hook ${program} could not start (${spawnError.code ?? spawnError.message})`);
      else if (timedOut) fail('COMMAND_TIMEOUT', `command hook ${name} did not finish within ${opts.timeoutMs / 1000} s and was killed${said}`);
      else if (signal !== null) fail('COMMAND_FAILED', `command hook ${name} was killed by ${signal}${said}`);
      else if (code !== 0) fail('COMMAND_FAILED', `command hook ${name} exited with status ${code}${said}`);
      else resolve();
    });
  });
}
