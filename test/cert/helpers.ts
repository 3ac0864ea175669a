import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { CertificateError } from '../../src/cert/errors.js';
import { thrown } from '../helpers/thrown.js';

/** A fresh directory removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-cert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const hasOpenssl = (): boolean => spawnSync('openssl', ['version']).status === 0;

/** The CertificateError `fn` throws (fails the test if it throws nothing or something else). */
export const certificateErrorOf = (fn: () => unknown): CertificateError => thrown(CertificateError, fn);
