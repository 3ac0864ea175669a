import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, readCompanyPassword, type CompanyConfig } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-password-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CNPJ = '11222333000181';

/** A company as loadConfig gives it, with the given certificate password source line. */
function company(source: string): CompanyConfig {
  const config = parseConfig(
    `environment: production
stateDir: state
companies:
  - cnpj: "${CNPJ}"
    name: ACME
    uf: SP
    certificate: { pfx: acme.pfx, ${source} }
`,
    join(dir, 'config.yaml'),
  );
  return config.companies[0]!;
}

function passwordError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('PASSWORD_UNAVAILABLE');
    return err as ConfigError;
  }
  throw new Error('expected PASSWORD_UNAVAILABLE, nothing was thrown');
}

describe('readCompanyPassword', () => {
  it('reads a password file (relative to the config) as is when it has no trailing newline', () => {
    writeFileSync(join(dir, 'plain.pass'), ' s3cr3t ');
    expect(readCompanyPassword(company('passwordFile: plain.pass'), {})).toBe(' s3cr3t ');
  });

  it('strips exactly one trailing \\n or \\r\\n, nothing else', () => {
    writeFileSync(join(dir, 'lf.pass'), 'p\\w\n');
    writeFileSync(join(dir, 'crlf.pass'), 'p\\w\r\n');
    writeFileSync(join(dir, 'two.pass'), 'p\\w\n\n');
    expect(readCompanyPassword(company('passwordFile: lf.pass'), {})).toBe('p\\w');
    expect(readCompanyPassword(company('passwordFile: crlf.pass'), {})).toBe('p\\w');
    expect(readCompanyPassword(company('passwordFile: two.pass'), {})).toBe('p\\w\n');
  });

  it('names the CNPJ and the file when the password file is missing', () => {
    const e = passwordError(() => readCompanyPassword(company('passwordFile: none.pass'), {}));
    expect(e.message).toBe(
      `${join(dir, 'none.pass')}: certificate password of CNPJ ${CNPJ} unavailable: password file (passwordFile) does not exist`,
    );
  });

  it('reads an environment variable, which must be set (empty is a value)', () => {
    const c = company('passwordEnv: ACME_PASS');
    expect(readCompanyPassword(c, { ACME_PASS: 'from-env\n' })).toBe('from-env\n');
    expect(readCompanyPassword(c, { ACME_PASS: '' })).toBe('');
    const e = passwordError(() => readCompanyPassword(c, { OTHER: 'x' }));
    expect(e.message).toBe(`$ACME_PASS: certificate password of CNPJ ${CNPJ} unavailable: environment variable ACME_PASS (passwordEnv) is not set`);
  });

  it('reads a systemd credential from $CREDENTIALS_DIRECTORY/NAME', () => {
    writeFileSync(join(dir, 'acme.cred'), 'cred-pass\n');
    expect(readCompanyPassword(company('passwordCredential: acme.cred'), { CREDENTIALS_DIRECTORY: dir })).toBe('cred-pass');
  });

  it('explains a credential without CREDENTIALS_DIRECTORY, and a missing credential file', () => {
    const c = company('passwordCredential: acme.cred');
    expect(passwordError(() => readCompanyPassword(c, {})).message).toContain(
      `certificate password of CNPJ ${CNPJ} unavailable: passwordCredential "acme.cred" needs CREDENTIALS_DIRECTORY, which is not set`,
    );
    const e = passwordError(() => readCompanyPassword(company('passwordCredential: other.cred'), { CREDENTIALS_DIRECTORY: dir }));
    expect(e.message).toBe(
      `${join(dir, 'other.cred')}: certificate password of CNPJ ${CNPJ} unavailable: systemd credential (passwordCredential) does not exist`,
    );
  });
});
