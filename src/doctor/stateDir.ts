/**
 * The state directory holds every company's documents and cursors: the service user
 * must be able to write it, and nobody else should read it.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { stateDbPath } from '../store/index.js';
import { fail, ok, warn, type CheckResult } from './check.js';

const mode = (s: Stats): string => `mode ${(s.mode & 0o777).toString(8).padStart(4, '0')}`;
const uid = (): string => (process.getuid === undefined ? 'this user' : `this user (uid ${process.getuid()})`);

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The closest directory at or above `path` that exists. */
function existingAncestor(path: string): string {
  let p = path;
  while (statOrNull(p) === null && dirname(p) !== p) p = dirname(p);
  return p;
}

function checkDirectory(dir: string): CheckResult {
  const check = 'state directory';
  let s: Stats | null;
  try {
    s = statOrNull(dir);
  } catch (error) {
    return fail(check, `${dir} cannot be examined (${(error as NodeJS.ErrnoException).code ?? String(error)}): run doctor as the service's user`);
  }
  if (s === null) {
    const parent = existingAncestor(dirname(dir));
    return canWrite(parent)
      ? ok(check, `${dir} does not exist yet: the daemon creates it (mode 0700) when it starts`)
      : fail(check, `${dir} does not exist and ${uid()} cannot create it (${parent} is not writable): create it for the service user, e.g. install -d -m 700 -o dfe-sync ${dir} (systemd's StateDirectory= does this)`);
  }
  if (!s.isDirectory()) return fail(check, `${dir} is not a directory: point stateDir at a directory`);
  if (!canWrite(dir)) {
    return fail(check, `${dir} is not writable by ${uid()}: chown it to the service user (chown -R dfe-sync ${dir}), or run doctor as that user`);
  }
  if ((s.mode & 0o007) !== 0) {
    return warn(check, `${dir} is open to every user of this machine (${mode(s)}) but holds the companies' documents: chmod 700 ${dir}`);
  }
  return ok(check, `${dir} is writable by ${uid()} and closed to other users (${mode(s)})`);
}

function checkDatabase(file: string): CheckResult | null {
  const check = 'state database';
  let s: Stats | null;
  try {
    s = statOrNull(file);
  } catch {
    return null; // the directory check already said why it cannot be examined
  }
  if (s === null) return ok(check, `${file} does not exist yet: the daemon creates it (mode 0600)`);
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch {
    return fail(check, `${file} is not readable and writable by ${uid()}: chown it to the service user, or run doctor as that user`);
  }
  if ((s.mode & 0o007) !== 0) {
    return warn(check, `${file} is open to every user of this machine (${mode(s)}) but holds the companies' documents: chmod 600 ${file}`);
  }
  return ok(check, `${file} (${mode(s)})`);
}

export function checkStateDir(stateDir: string): CheckResult[] {
  const db = checkDatabase(stateDbPath(stateDir));
  return db === null ? [checkDirectory(stateDir)] : [checkDirectory(stateDir), db];
}
