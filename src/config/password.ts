import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import type { CompanyConfig } from './types.js';

function readFile(path: string): string | { problem: string; cause: unknown } {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? 'error'})`;
    return { problem: why, cause: err };
  }
}

/**
 * The certificate password of a company, from its one configured source. Editors and
 * `echo` add a final newline that is not part of the password, so exactly one trailing
 * `\n` or `\r\n` is dropped from files and credentials; nothing else is trimmed.
 * Errors name the company and where we looked, never the password.
 */
export function readCompanyPassword(company: CompanyConfig, env: NodeJS.ProcessEnv = process.env): string {
  const fail = (where: string, problem: string, cause?: unknown): never => {
    throw new ConfigError('PASSWORD_UNAVAILABLE', where, [`certificate password of CNPJ ${company.cnpj} unavailable: ${problem}`], { cause });
  };
  const source = company.certificate.password;
  switch (source.from) {
    case 'env': {
      const value = env[source.name];
      return value ?? fail(`$${source.name}`, `environment variable ${source.name} (passwordEnv) is not set`);
    }
    case 'file': {
      const read = readFile(source.path);
      return typeof read === 'string' ? stripNewline(read) : fail(source.path, `password file (passwordFile) ${read.problem}`, read.cause);
    }
    case 'credential': {
      const dir = env.CREDENTIALS_DIRECTORY;
      if (!dir) {
        return fail(
          `credential ${source.name}`,
          `passwordCredential "${source.name}" needs CREDENTIALS_DIRECTORY, which is not set: run under systemd with LoadCredential=${source.name}:/path/to/password, or use passwordFile`,
        );
      }
      const path = join(dir, source.name);
      const read = readFile(path);
      return typeof read === 'string' ? stripNewline(read) : fail(path, `systemd credential (passwordCredential) ${read.problem}`, read.cause);
    }
  }
}

function stripNewline(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s;
}
