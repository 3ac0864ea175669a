/**
 * `dfe-sync doctor`: everything the daemon needs, checked without making a SEFAZ query.
 * Each check is a small function returning a CheckResult; this file only orders them and
 * hands what one found (the config, a usable certificate, the CA file) to the next.
 */
import type { LoadedCertificate } from '../cert/load.js';
import type { Clock } from '../clock.js';
import { ConfigError, loadConfig, resolveConfigPath, type CompanyConfig, type Config } from '../config/index.js';
import { checkCaFile } from './caFile.js';
import { checkCertificate, checkPassword } from './certificate.js';
import { checkStateDir } from './stateDir.js';
import { checkHandshake, endpointsOf } from './tls.js';
import { fail, ok, warn, type CheckResult } from './check.js';

export interface DoctorOptions {
  config?: string;
  /** Check only these companies (all when absent). */
  cnpjs?: readonly string[];
}

export interface DoctorIO {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Called with each result as soon as it is known (thousands of certificates take a while). */
  onResult?: (result: CheckResult) => void;
}

function checkConfig(file: string | undefined, env: NodeJS.ProcessEnv): { result: CheckResult; config: Config | null } {
  const path = resolveConfigPath(file, env);
  try {
    const config = loadConfig(path, env);
    const enabled = config.companies.filter((c) => c.enabled).length;
    return {
      result: ok('config', `${config.file} is valid: ${config.companies.length} companies (${enabled} enabled), environment ${config.environment}, time zone ${config.timezone}`),
      config,
    };
  } catch (error) {
    if (error instanceof ConfigError) return { result: fail('config', error.message), config: null };
    throw error;
  }
}

function companiesToCheck(config: Config, cnpjs: readonly string[] | undefined): { companies: CompanyConfig[]; unknown: string[] } {
  if (cnpjs === undefined || cnpjs.length === 0) return { companies: config.companies, unknown: [] };
  const wanted = new Set(cnpjs);
  return {
    companies: config.companies.filter((c) => wanted.has(c.cnpj)),
    unknown: cnpjs.filter((c) => !config.companies.some((k) => k.cnpj === c)),
  };
}

export async function runDoctor(opts: DoctorOptions, io: DoctorIO): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (r: CheckResult): void => {
    results.push(r);
    io.onResult?.(r);
  };

  const { result, config } = checkConfig(opts.config, io.env);
  report(result);
  if (config === null) return results;
  const { companies, unknown } = companiesToCheck(config, opts.cnpjs);
  for (const cnpj of unknown) report(fail(`company ${cnpj}`, `not in ${config.file}: --cnpj names a configured company`));

  checkStateDir(config.stateDir).forEach(report);

  let caPem: string | null = null;
  if (config.sefaz.caFile !== null) {
    const ca = checkCaFile(config.sefaz.caFile, io.clock.now());
    report(ca.result);
    caPem = ca.pem;
  }

  let usable: LoadedCertificate | null = null;
  for (const company of companies) {
    const password = checkPassword(company, io.env);
    report(password.result);
    if (password.password === null) continue;
    const cert = checkCertificate(company, password.password, io.clock.now());
    report(cert.result);
    usable ??= cert.certificate;
  }

  for (const endpoint of endpointsOf(config)) {
    if (usable === null) {
      report(warn(`TLS ${endpoint.label}`, 'not tried: SEFAZ requires a client certificate and no checked company has a usable one (see the certificate checks)'));
      continue;
    }
    report(await checkHandshake(endpoint, { certificate: usable, caPem, timeoutMs: config.sefaz.connectTimeoutSeconds * 1000 }));
  }
  return results;
}
