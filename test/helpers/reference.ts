import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json is). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * An official SEFAZ schema shipped in schemas/sefaz/ (a folder, then a file), the oracle
 * the tests validate against; schemas/sefaz/SOURCES.md says where each came from.
 */
export function sefazSchemaPath(...parts: string[]): string {
  return join(projectRoot, 'schemas', 'sefaz', ...parts);
}

/** A real or third-party SEFAZ message in test/fixtures/samples/ (provenance in its SOURCES.md). */
export function samplePath(...parts: string[]): string {
  return join(projectRoot, 'test', 'fixtures', 'samples', ...parts);
}

/**
 * True when a prerequisite the project cannot carry is present: a system tool (xmlsec1,
 * chromium, openssl, PostgreSQL) or the built CLI. Outside CI a missing one skips the
 * suite; under CI=true it is a failure, so a green CI never hides a skipped check.
 */
export function available(what: string, present: boolean): boolean {
  if (!present && process.env.CI === 'true') {
    throw new Error(`${what} is required under CI=true but is missing`);
  }
  return present;
}
