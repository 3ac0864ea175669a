/**
 * What every `dfe-sync` command shares: reading the config named by `--config`, and
 * turning an outcome into output and an exit code an operator's scripts can rely on:
 * 0 done, 1 an operational failure, 2 a command line or config that cannot work.
 */
import type { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, resolveConfigPath, type Config } from '../config/index.js';
import { DfeSyncError } from '../errors.js';

/** A command line that cannot work as given: exit code 2. */
export class UsageError extends DfeSyncError {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The config of `--config FILE` (else $DFE_SYNC_CONFIG, else /etc/dfe-sync/config.yaml). */
export function loadCliConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfig(resolveConfigPath(file, env), env);
}

/** Usage and config errors are the operator's to fix before anything can run: 2; the rest 1. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** `dfe-sync: <message>`, one line per line of the message (a config error lists each problem). */
export function errorLines(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split('\n')
    .map((line) => `dfe-sync: ${line}\n`)
    .join('');
}

export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  setExitCode: (code: number) => void;
}

export const processOutput: CommandOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/**
 * Runs a command's work: what it returns goes to stdout with the exit code it asks for
 * (default 0); what it throws goes to stderr as `dfe-sync: …` with exitCodeOf's code.
 * Only an error we raise on purpose has a message meant for people: anything else is a
 * bug, reported with its stack so it can be fixed.
 */
export async function runCommand(
  work: () => Promise<{ text: string; exitCode?: number }> | { text: string; exitCode?: number },
  out: CommandOutput = processOutput,
): Promise<void> {
  try {
    const { text, exitCode = 0 } = await work();
    out.stdout(text);
    if (exitCode !== 0) out.setExitCode(exitCode);
  } catch (error) {
    const known = error instanceof DfeSyncError;
    out.stderr(errorLines(error));
    if (!known && error instanceof Error && error.stack !== undefined) out.stderr(`${error.stack}\n`);
    out.setExitCode(exitCodeOf(error));
  }
}

/** Commander's own complaints (unknown option, missing value) in our words and with exit code 2. */
export function withUsageExits(command: Command): Command {
  return command
    .configureOutput({ outputError: (str, write) => write(str.replace(/^error: /, 'dfe-sync: ')) })
    .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));
}

/** Commander's accumulator for an option given several times. */
export const repeatable = (value: string, previous: string[]): string[] => [...previous, value];

export const CONFIG_OPTION_HELP = 'the config file (default $DFE_SYNC_CONFIG, then /etc/dfe-sync/config.yaml)';
