import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, resolveConfigPath, type Config } from '../../src/config/index.js';
import { DfeSyncError } from '../../src/errors.js';
import { ENDPOINTS } from '../../src/sefaz/endpoints.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';

const FILE = '/etc/dfe-sync/config.yaml';
const CNPJ_A = '11222333000181';
const CNPJ_B = '11444777000161';
const CNPJ_ALNUM = '12ABC34501DE35';

const MINIMAL = `
environment: homologation
stateDir: /var/lib/dfe-sync
companies:
  - cnpj: "${CNPJ_A}"
    name: ACME
    uf: SP
    certificate: { pfx: /etc/dfe-sync/acme.pfx, passwordFile: /etc/dfe-sync/acme.pass }
`;

/** The ConfigError a call throws (fails the test if it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** A minimal file with `company` lines replacing the first company's optional keys. */
function withCompany(extra: string, cnpj = `"${CNPJ_A}"`): string {
  return `
environment: production
stateDir: /var/lib/dfe-sync
companies:
  - cnpj: ${cnpj}
    name: ACME
    uf: SP
    certificate: { pfx: a.pfx, passwordEnv: ACME_PASS }
${extra
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => `    ${l}`)
  .join('\n')}
`;
}

describe('a valid minimal file', () => {
  const config = parseConfig(MINIMAL, FILE);

  it('applies every default', () => {
    expect(config).toEqual({
      file: FILE,
      environment: 'homologation',
      tpAmb: '2',
      stateDir: '/var/lib/dfe-sync',
      timezone: 'America/Sao_Paulo',
      companies: [
        {
          cnpj: CNPJ_A,
          name: 'ACME',
          uf: 'SP',
          cUFAutor: '35',
          certificate: { pfx: '/etc/dfe-sync/acme.pfx', password: { from: 'file', path: '/etc/dfe-sync/acme.pass' } },
          window: { text: '24h', ranges: [{ start: 0, end: 1440 }] },
          enabled: true,
          startNSU: '000000000000000',
          manifest: 'off',
          targetedPerHour: 19,
          contacts: [],
          monthlyLimit: null,
        },
      ],
      sefaz: {
        urls: ENDPOINTS.homologation,
        caFile: null,
        timeoutSeconds: 30,
        connectTimeoutSeconds: 10,
        eventAction: null,
      },
      output: null,
      rules: { safetyMarginSeconds: 120, backoffBaseSeconds: 30, backoffMaxSeconds: 1800, fetchFullAfterHours: 24 },
      daemon: { maxInFlight: 4 },
      log: { level: 'info' },
      contacts: [],
      notifications: { silentDays: 10, fullMissingHours: 48, documentsArrived: false },
      http: { host: '127.0.0.1', port: 9717, tokenFile: null, tokenCredential: null, auth: 'on' },
    } satisfies Config);
  });

  it('takes the default URLs from the environment', () => {
    const prod = parseConfig(MINIMAL.replace('homologation', 'production'), FILE);
    expect(prod.tpAmb).toBe('1');
    expect(prod.sefaz.urls).toEqual(ENDPOINTS.production);
  });
});

describe('a valid full file', () => {
  const FULL = `
environment: production
stateDir: state
timezone: america/manaus
companies:
  - cnpj: "${CNPJ_A}"
    name: ACME
    uf: RJ
    certificate: { pfx: certs/acme.pfx, passwordFile: certs/acme.pass }
    window: ["06:00-12:00", "19:00-02:00"]
    enabled: false
    startNSU: 4500
    manifest: ciencia
    targetedPerHour: 5
  - cnpj: "${CNPJ_ALNUM}"
    name: Filial
    uf: DF
    certificate: { pfx: /abs/filial.pfx, passwordCredential: filial.pass }
    startNSU: "000000000000123"
sefaz:
  urls:
    distribuicao: https://127.0.0.1:8443/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx
    recepcaoEvento: https://127.0.0.1:8443/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx
  caFile: ../tls/ca.pem
  timeoutSeconds: 5
  connectTimeoutSeconds: 2.5
output: { dir: out }
rules: { safetyMarginSeconds: 0, backoffBaseSeconds: 1, backoffMaxSeconds: 60 }
daemon: { maxInFlight: 16 }
log: { level: debug }
`;
  const config = parseConfig(FULL, '/srv/dfe/conf/config.yaml');

  it('keeps every value given', () => {
    expect(config.timezone).toBe('America/Manaus');
    expect(config.companies[0]).toEqual({
      cnpj: CNPJ_A,
      name: 'ACME',
      uf: 'RJ',
      cUFAutor: '33',
      certificate: { pfx: '/srv/dfe/conf/certs/acme.pfx', password: { from: 'file', path: '/srv/dfe/conf/certs/acme.pass' } },
      window: { text: '06:00-12:00, 19:00-02:00', ranges: [{ start: 360, end: 720 }, { start: 1140, end: 120 }] },
      enabled: false,
      startNSU: '000000000004500',
      manifest: 'ciencia',
      targetedPerHour: 5,
      contacts: [],
      monthlyLimit: null,
    });
    expect(config.sefaz).toEqual({
      urls: {
        distribuicao: 'https://127.0.0.1:8443/NFeDistribuicaoDFe/NFeDistribuicaoDFe.asmx',
        recepcaoEvento: 'https://127.0.0.1:8443/NFeRecepcaoEvento4/NFeRecepcaoEvento4.asmx',
      },
      caFile: '/srv/dfe/tls/ca.pem',
      timeoutSeconds: 5,
      connectTimeoutSeconds: 2.5,
      eventAction: null,
    });
    expect(config.rules).toEqual({ safetyMarginSeconds: 0, backoffBaseSeconds: 1, backoffMaxSeconds: 60, fetchFullAfterHours: 24 });
    expect(config.daemon).toEqual({ maxInFlight: 16 });
    expect(config.log).toEqual({ level: 'debug' });
  });

  it('resolves relative paths against the config file\'s directory and keeps absolute ones', () => {
    expect(config.stateDir).toBe('/srv/dfe/conf/state');
    expect(config.output).toEqual({ dir: '/srv/dfe/conf/out' });
    expect(config.companies[1]!.certificate).toEqual({ pfx: '/abs/filial.pfx', password: { from: 'credential', name: 'filial.pass' } });
  });

  it('accepts an alphanumeric CNPJ and normalises startNSU to 15 digits', () => {
    expect(config.companies[1]).toMatchObject({ cnpj: CNPJ_ALNUM, cUFAutor: '53', startNSU: '000000000000123' });
  });
});

describe('companies[].name', () => {
  /** A file whose companies are these CNPJs, written as a spreadsheet export would: no names. */
  const nameless = (cnpjs: readonly string[], extra = ''): string =>
    `environment: production\nstateDir: /var/lib/dfe-sync\ncompanies:\n${cnpjs
      .map((c) => `  - { cnpj: "${c}", uf: SP, certificate: { pfx: a.pfx, passwordEnv: P }${extra} }\n`)
      .join('')}`;

  it('defaults to the CNPJ, formatted, numeric and alphanumeric alike; a given name stays', () => {
    const config = parseConfig(`${nameless([CNPJ_A, CNPJ_ALNUM])}  - { cnpj: "${CNPJ_B}", name: Comercial Sul, uf: RS, certificate: { pfx: b.pfx, passwordEnv: P } }\n`, FILE);
    expect(config.companies.map((c) => [c.cnpj, c.name])).toEqual([
      [CNPJ_A, '11.222.333/0001-81'],
      [CNPJ_ALNUM, '12.ABC.345/01DE-35'],
      [CNPJ_B, 'Comercial Sul'],
    ]);
  });

  it('loads 5,000 CNPJs from a spreadsheet without inventing a name for any', () => {
    const cnpjs = Array.from({ length: 5000 }, (_, i) => {
      const base = `${String(10_000_000 + i * 17)}${String(1 + (i % 3)).padStart(4, '0')}`;
      return base + cnpjCheckDigits(base);
    });
    const config = parseConfig(nameless(cnpjs), FILE);
    expect(config.companies).toHaveLength(5000);
    expect(config.companies.filter((c) => c.name !== `${c.cnpj.slice(0, 2)}.${c.cnpj.slice(2, 5)}.${c.cnpj.slice(5, 8)}/${c.cnpj.slice(8, 12)}-${c.cnpj.slice(12)}`)).toEqual([]);
  });

  it('refuses an empty or non-text name, saying the key may be left out', () => {
    const e = configError(() => parseConfig(nameless([CNPJ_A, CNPJ_B]).replace('uf: SP', 'name: "", uf: SP').replace(`"${CNPJ_B}", uf: SP`, `"${CNPJ_B}", name: [ACME], uf: SP`), FILE));
    expect(e.problems).toEqual([
      'companies[0].name: expected a non-empty name (or no name key: the CNPJ is shown), got "" (line 4)',
      'companies[1].name: expected the company\'s name for status and logs (or no name key: the CNPJ is shown), got a list (line 5)',
    ]);
  });
});

describe('error messages: file, key path, what is expected', () => {
  it('names the file and the key path, with cnpjProblem\'s words and the line', () => {
    const e = configError(() => parseConfig(withCompany('', '"1234"'), FILE));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e).toBeInstanceOf(DfeSyncError);
    expect(e.message).toBe(
      `${FILE}: companies[0].cnpj: "1234" is not a 14-digit CNPJ (12 digits or capital letters, then 2 check digits) (line 5)`,
    );
    expect(e.file).toBe(FILE);
    expect(e.problems).toHaveLength(1);
  });

  it('reports wrong check digits', () => {
    expect(configError(() => parseConfig(withCompany('', '"11222333000182"'), FILE)).message).toContain(
      'companies[0].cnpj: "11222333000182" has wrong check digits for a CNPJ',
    );
  });

  it('rejects a CNPJ written as a YAML number, telling to quote it', () => {
    const e = configError(() => parseConfig(withCompany('', '1222333000180'), FILE));
    expect(e.message).toContain(
      'companies[0].cnpj: got the number 1222333000180: write the CNPJ in quotes, e.g. cnpj: "01222333000180"; YAML reads an unquoted CNPJ as a number and drops its leading zeros',
    );
  });

  it('reports several problems together, one line each, in file order, each naming the file', () => {
    const text = `
environment: prod
stateDir: 42
timezone: Mars/Olympus_Mons
companies:
  - cnpj: "${CNPJ_A}"
    uf: sp
    certificate: { pfx: a.pfx }
    window: "25:00-26:00"
    targetedPerHour: 21
  - cnpj: "${CNPJ_A}"
    name: Twin
    uf: SP
    certificate: { pfx: b.pfx, passwordEnv: B, passwordFile: b.pass }
    startNSU: "1234567890123456"
sefaz:
  urls: { distribuicao: "http://127.0.0.1/x" }
  timeoutSeconds: 0
rules: { backoffBaseSeconds: 60, backoffMaxSeconds: 30, safetyMarginSeconds: -1 }
log: { level: verbose }
`;
    const e = configError(() => parseConfig(text, FILE));
    const lines = e.message.split('\n');
    expect(lines.every((l) => l.startsWith(`${FILE}: `))).toBe(true);
    expect(lines.map((l) => l.slice(FILE.length + 2))).toEqual([
      'environment: expected production or homologation, got "prod" (line 2)',
      'stateDir: expected the directory holding dfe-sync\'s database (absolute, or relative to this file\'s directory), got 42 (line 3)',
      'timezone: expected an IANA time zone such as America/Sao_Paulo, got "Mars/Olympus_Mons" (line 4)',
      'companies[0].uf: expected a state (UF) in capital letters, such as SP or RJ, got "sp" (line 7)',
      'companies[0].certificate: expected exactly one of passwordFile, passwordEnv or passwordCredential, found none (line 8)',
      'companies[0].window: "25:00-26:00" is not a capture window: expected "24h" or a range "HH:MM-HH:MM" (e.g. "05:00-19:00", or "19:00-05:00" to cross midnight) (line 9)',
      'companies[0].targetedPerHour: expected consNSU + consChNFe calls per rolling hour: an integer from 1 to 20, got 21 (line 10)',
      `companies[1].cnpj: "${CNPJ_A}" is already configured at companies[0]: each CNPJ once (line 11)`,
      'companies[1].certificate: expected exactly one of passwordFile, passwordEnv or passwordCredential, found passwordFile and passwordEnv (line 14)',
      'companies[1].startNSU: expected an NSU: up to 15 digits, e.g. "0" or "000000000012345", got "1234567890123456" (line 15)',
      'sefaz.urls.distribuicao: expected a full https:// URL of NFeDistribuicaoDFe (e.g. https://127.0.0.1:8443/...), got "http://127.0.0.1/x" (line 17)',
      'sefaz.timeoutSeconds: expected sefaz.timeoutSeconds: a number of seconds above 0, at most 60, got 0 (line 18)',
      'rules.safetyMarginSeconds: expected rules.safetyMarginSeconds: a number of seconds, 0 or more, got -1 (line 19)',
      'rules.backoffMaxSeconds: expected at least backoffBaseSeconds (60), got 30 (line 19)',
      'log.level: expected fatal, error, warn, info, debug, trace, silent, got "verbose" (line 20)',
    ]);
  });

  it('checks backoffMaxSeconds against backoffBaseSeconds', () => {
    const e = configError(() => parseConfig(`${MINIMAL}rules: { backoffBaseSeconds: 60, backoffMaxSeconds: 30 }\n`, FILE));
    expect(e.problems).toEqual(['rules.backoffMaxSeconds: expected at least backoffBaseSeconds (60), got 30 (line 9)']);
  });

  it('rejects unknown keys at any depth, suggesting the closest known key or listing them', () => {
    const text = `${MINIMAL.replace('    name: ACME', '    name: ACME\n    windw: 24h\n    certficate: {}')}sefaz: { timeout: 3 }\nverbose: true\n`;
    const e = configError(() => parseConfig(text, FILE));
    expect(e.problems).toEqual([
      'companies[0].windw: unknown key: did you mean "window"? (line 7)',
      'companies[0].certficate: unknown key: did you mean "certificate"? (line 8)',
      'sefaz.timeout: unknown key: did you mean "timeoutSeconds"? (line 11)',
      'verbose: unknown key: expected one of environment, stateDir, timezone, companies, sefaz, output, rules, daemon, log, contacts, notifications, http (line 12)',
    ]);
  });

  it('rejects a duplicate key with its line', () => {
    const e = configError(() => parseConfig(`${MINIMAL}stateDir: /other\n`, FILE));
    expect(e.message).toBe(`${FILE}: line 9, column 1: duplicate key "stateDir": each key may appear once per mapping`);
  });

  it('reports a YAML syntax error with its line', () => {
    const e = configError(() => parseConfig('environment: production\ncompanies: [\n  - a\nstateDir: x\n', FILE));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(new RegExp(`^${FILE}: line \\d+, column \\d+: `));
  });

  it('says what is expected of an empty file, a list, a missing company list and an empty one', () => {
    expect(configError(() => parseConfig('# nothing yet\n', FILE)).problems).toEqual([
      'the file is empty: expected a mapping with environment, stateDir and companies',
    ]);
    expect(configError(() => parseConfig('- a\n', FILE)).problems).toEqual([
      '(top level): expected a mapping with environment, stateDir and companies, got a list (line 1)',
    ]);
    expect(configError(() => parseConfig('environment: production\nstateDir: s\n', FILE)).problems).toEqual([
      'companies: missing: expected a list of companies',
    ]);
    expect(configError(() => parseConfig('environment: production\nstateDir: s\ncompanies: []\n', FILE)).problems).toEqual([
      'companies: expected at least one company, got a list (line 3)',
    ]);
  });

  it('locates a bad item of a window list', () => {
    expect(configError(() => parseConfig(withCompany('window: ["06:00-07:00", 8]'), FILE)).problems).toEqual([
      'companies[0].window[1]: expected "24h" or a range "HH:MM-HH:MM", got 8 (line 9)',
    ]);
    expect(configError(() => parseConfig(withCompany('window: ["06:00-12:00", "11:00-13:00"]'), FILE)).problems).toEqual([
      'companies[0].window[1]: "11:00-13:00" overlaps "06:00-12:00" (both include 11:00): merge them into one range (line 9)',
    ]);
  });

  it('validates the password source names', () => {
    const e = configError(() => parseConfig(withCompany('').replace('passwordEnv: ACME_PASS', 'passwordCredential: ../etc/shadow'), FILE));
    expect(e.problems).toEqual([
      'companies[0].certificate.passwordCredential: expected the name of a systemd credential (no "/"), got "../etc/shadow" (line 8)',
    ]);
  });

  it('rejects a fractional or negative startNSU given as a number', () => {
    expect(configError(() => parseConfig(withCompany('startNSU: 1.5'), FILE)).problems[0]).toContain('companies[0].startNSU: expected an NSU');
    expect(configError(() => parseConfig(withCompany('startNSU: -1'), FILE)).problems[0]).toContain('got -1');
  });
});

describe('resolveConfigPath and loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the argument, else $DFE_SYNC_CONFIG, else /etc/dfe-sync/config.yaml', () => {
    expect(resolveConfigPath('/a/b.yaml', { DFE_SYNC_CONFIG: '/c/d.yaml' })).toBe('/a/b.yaml');
    expect(resolveConfigPath(undefined, { DFE_SYNC_CONFIG: '/c/d.yaml' })).toBe('/c/d.yaml');
    expect(resolveConfigPath(undefined, {})).toBe('/etc/dfe-sync/config.yaml');
    expect(resolveConfigPath(undefined, { DFE_SYNC_CONFIG: '' })).toBe('/etc/dfe-sync/config.yaml');
  });

  it('reads the file named by $DFE_SYNC_CONFIG and resolves its relative paths against its directory', () => {
    const sub = join(dir, 'etc');
    mkdirSync(sub);
    const file = join(sub, 'dfe.yaml');
    writeFileSync(file, MINIMAL.replace('/var/lib/dfe-sync', 'state').replace('/etc/dfe-sync/acme.pfx', '../certs/acme.pfx'));
    const config = loadConfig(undefined, { DFE_SYNC_CONFIG: file });
    expect(config.file).toBe(file);
    expect(config.stateDir).toBe(join(sub, 'state'));
    expect(config.companies[0]!.certificate.pfx).toBe(join(dir, 'certs', 'acme.pfx'));
  });

  it('reports a missing file as CONFIG_MISSING, naming it', () => {
    const missing = join(dir, 'nope.yaml');
    const e = configError(() => loadConfig(missing, {}));
    expect(e.code).toBe('CONFIG_MISSING');
    expect(e.message).toBe(
      `${missing}: config file not found: pass --config FILE or set DFE_SYNC_CONFIG (default /etc/dfe-sync/config.yaml)`,
    );
  });

  it('reports a directory given as the file', () => {
    const e = configError(() => loadConfig(dir, {}));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe(`${dir}: cannot read the config file: it is a directory`);
  });
});

describe('operations keys', () => {
  const base = `environment: homologation
stateDir: state
companies:
  - cnpj: "11222333000181"
    name: A
    uf: SP
    certificate: { pfx: a.pfx, passwordFile: a.pass }
`;
  it('reads contacts, a monthly limit and the http section', () => {
    const config = parseConfig(`${base}    monthlyLimit: { calls: 500, suspend: true, reactivateAtPeriodStart: true }
    contacts:
      - { name: Ana, roles: [financial], webhook: { url: "https://hooks.example/x", secretFile: secret } }
contacts:
  - { name: Ops, roles: [technical, legal], command: ["/usr/local/bin/page", "--quiet"] }
http: { listen: "127.0.0.1:0", auth: "off" }
`, '/srv/dfe/config.yaml');
    expect(config.companies[0]!.monthlyLimit).toEqual({ calls: 500, notify: true, suspend: true, reactivateAtPeriodStart: true, periodStartDay: 21 });
    expect(config.companies[0]!.contacts).toEqual([{ name: 'Ana', roles: ['financial'], webhook: { url: 'https://hooks.example/x', secretFile: '/srv/dfe/secret', secretEnv: null }, command: null }]);
    expect(config.contacts).toEqual([{ name: 'Ops', roles: ['technical', 'legal'], webhook: null, command: ['/usr/local/bin/page', '--quiet'] }]);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 0, tokenFile: null, tokenCredential: null, auth: 'off' });
  });

  it('rejects reactivateAtPeriodStart without suspend, saying why', () => {
    expect(() => parseConfig(`${base}    monthlyLimit: { calls: 500, reactivateAtPeriodStart: true }
`, '/srv/dfe/config.yaml')).toThrow(/companies\[0\]\.monthlyLimit\.reactivateAtPeriodStart: .*only means something with suspend: true/);
  });

  it('rejects a contact nobody can reach', () => {
    expect(() => parseConfig(`${base}contacts:
  - { name: Ops, roles: [technical] }
`, '/srv/dfe/config.yaml')).toThrow(/contacts\[0\].*a webhook or a command/);
  });
});
