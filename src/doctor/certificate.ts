/** A company's certificate as the daemon will use it: password readable, .pfx decoded, usable now. */
import { assertUsable, readPfx, type LoadedCertificate } from '../cert/load.js';
import { readCompanyPassword, type CompanyConfig } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { CERT_WARN_DAYS, daysUntil } from '../status/problems.js';
import { fail, ok, warn, type CheckResult } from './check.js';

/** A disabled company's broken certificate holds nothing up: a warning, not a failure. */
function broken(company: CompanyConfig, check: string, message: string): CheckResult {
  return company.enabled ? fail(check, message) : warn(check, `${message} (company disabled)`);
}

function sourceWords(company: CompanyConfig): string {
  const s = company.certificate.password;
  return s.from === 'file' ? `passwordFile ${s.path}` : s.from === 'env' ? `passwordEnv ${s.name}` : `passwordCredential ${s.name}`;
}

function messageOf(error: unknown): string {
  if (error instanceof DfeSyncError) return error.message;
  throw error;
}

export function checkPassword(company: CompanyConfig, env: NodeJS.ProcessEnv): { result: CheckResult; password: string | null } {
  const check = `company ${company.cnpj} password`;
  const source = company.certificate.password;
  if (source.from === 'credential' && !env.CREDENTIALS_DIRECTORY) {
    // Only the service is given its credentials: outside it, not knowing is not a failure.
    return {
      result: warn(
        check,
        `not checked, nor the certificate: passwordCredential ${source.name} is read from $CREDENTIALS_DIRECTORY, which only the service gets; ` +
          `to check it, run doctor with the unit's credentials, e.g. systemd-run --pipe --wait -p LoadCredential=${source.name}:/path/to/password dfe-sync doctor`,
      ),
      password: null,
    };
  }
  try {
    const password = readCompanyPassword(company, env);
    return { result: ok(check, `readable (${sourceWords(company)})`), password };
  } catch (error) {
    return { result: broken(company, check, messageOf(error)), password: null };
  }
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

export function checkCertificate(
  company: CompanyConfig,
  password: string,
  now: number,
): { result: CheckResult; certificate: LoadedCertificate | null } {
  const check = `company ${company.cnpj} certificate`;
  let cert: LoadedCertificate;
  try {
    cert = readPfx(company.certificate.pfx, password);
  } catch (error) {
    return { result: broken(company, check, messageOf(error)), certificate: null };
  }
  const left = daysUntil(cert.notAfter.getTime(), now);
  const facts = `CNPJ ${cert.cnpj ?? '(none)'}, ${cert.subject}, valid ${day(cert.notBefore)} to ${day(cert.notAfter)}, ${left} days left`;
  try {
    assertUsable(cert, company.certificate.pfx, { expectCnpj: company.cnpj, now });
  } catch (error) {
    return { result: broken(company, check, `${messageOf(error)}\n(${facts})`), certificate: null };
  }
  if (left < CERT_WARN_DAYS) {
    return { result: warn(check, `${facts}: renew it before ${day(cert.notAfter)} and replace ${company.certificate.pfx}`), certificate: cert };
  }
  return { result: ok(check, facts), certificate: cert };
}
