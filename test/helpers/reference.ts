import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** ../shared/reference, the official schemas and samples used as an oracle. */
export const referenceDir = resolve(projectRoot, '..', 'shared', 'reference');

/**
 * True when an external prerequisite (../shared, a system tool) is present.
 * Outside CI a missing one skips the suite; under CI=true it is a failure, so a green
 * CI never hides a skipped check.
 */
export function available(what: string, present: boolean): boolean {
  if (!present && process.env.CI === 'true') {
    throw new Error(`${what} is required under CI=true but is missing`);
  }
  return present;
}

/** Whether ../shared/reference is there (see available()). */
export function hasReference(): boolean {
  return available(`../shared/reference (looked in ${referenceDir})`, existsSync(referenceDir));
}

export function referencePath(...parts: string[]): string {
  return join(referenceDir, ...parts);
}
