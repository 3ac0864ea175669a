/** Who may read the status server: the loopback rule and the access token. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { HttpServerError } from './errors.js';

/** The token file dfe-sync makes when the config names none. */
export const GENERATED_TOKEN_FILE = 'http.token';

/** Only addresses no other machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped) and "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HttpServerError('HTTP_TOKEN_UNREADABLE', `cannot read the status page token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, err);
  }
  const token = text.replace(/\r?\n$/, '');
  if (token.trim() === '') {
    throw new HttpServerError('HTTP_TOKEN_EMPTY', `the status page token file ${file} is empty: put a long random token in it (e.g. openssl rand -hex 32)`);
  }
  // What a client can send in an Authorization header and type into a URL.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new HttpServerError('HTTP_TOKEN_INVALID', `the status page token in ${file} has spaces or characters outside printable ASCII: use e.g. openssl rand -hex 32`);
  }
  return token;
}

export interface TokenSource {
  token: string;
  file: string;
  /** true when this call made the file */
  created: boolean;
  /** true when group or others may read the file */
  readableByOthers: boolean;
}

/**
 * The token from `tokenFile`, or from `<stateDir>/http.token`, which is made (0600, 32
 * random bytes in hex) the first time. `wx` keeps two starting processes from each
 * writing a different token.
 */
export function loadToken(tokenFile: string | null, stateDir: string): TokenSource {
  const file = tokenFile ?? join(stateDir, GENERATED_TOKEN_FILE);
  let created = false;
  if (tokenFile === null) {
    try {
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HttpServerError('HTTP_TOKEN_UNREADABLE', `cannot create the status page token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, err);
      }
    }
  }
  const token = readToken(file);
  return { token, file, created, readableByOthers: (statSync(file).mode & 0o077) !== 0 };
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (given === null || given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}
