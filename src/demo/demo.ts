import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureTestMaterial } from '../cert/testMaterial.js';
import { ScaledClock } from '../clock.js';
import { loadConfig } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { LeaseKeeper } from '../daemon/leases.js';
import { openRuntime } from '../daemon/runtime.js';
import { createLogger } from '../log/logger.js';
import { formatLocalTime } from '../time/zone.js';
import { cnpjCheckDigits } from '../sefaz/identifiers.js';
import { SefazSimulator } from '../sim/index.js';
import { formatStatusTable, statusOf } from '../status/index.js';
import { pino } from 'pino';

const HOUR = 3_600_000;

export interface DemoOptions {
  /** the demo's directory, emptied first (default ./data) */
  dir: string;
  /** simulated milliseconds per real millisecond (default 1200: an hour in 3 s) */
  rate: number;
  /** documents waiting for the first company */
  backlog: number;
  /** simulated hours to run */
  hours: number;
  out: (line: string) => void;
}

const cnpj = (base12: string): string => base12 + cnpjCheckDigits(base12);

/** The three demo companies: a backlog, nothing at all, and one another system is using. */
const COMPANIES = [
  { cnpj: cnpj('112223330001'), name: 'Backlog Ltda', role: 'backlog', manifest: 'off' },
  { cnpj: cnpj('445556660001'), name: 'Quiet SA', role: 'empty', manifest: 'off' },
  { cnpj: cnpj('778889990001'), name: 'Shared CNPJ ME', role: 'other-system', manifest: 'off' },
] as const;

/** Empties the demo directory, keeping the .gitkeep that holds it in git. */
function emptyDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(dir)) {
    if (entry !== '.gitkeep') rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

function configText(dir: string, tlsDir: string, distUrl: string, eventUrl: string): string {
  const companies = COMPANIES.map((c) => [
    `  - cnpj: "${c.cnpj}"`,
    `    name: ${c.name}`,
    '    uf: SP',
    `    certificate: { pfx: ${join(tlsDir, `${c.cnpj}.pfx`)}, passwordFile: ${join(tlsDir, `${c.cnpj}.pass`)} }`,
    '    window: 24h',
    `    manifest: ${c.manifest}`,
  ].join('\n'));
  return [
    '# written by `dfe-sync demo`: the simulator on a fast clock',
    'environment: homologation',
    `stateDir: ${join(dir, 'state')}`,
    'companies:',
    ...companies,
    'sefaz:',
    `  urls: { distribuicao: "${distUrl}", recepcaoEvento: "${eventUrl}" }`,
    `  caFile: ${join(tlsDir, 'ca.pem')}`,
    `output: { dir: ${join(dir, 'xml')} }`,
    '',
  ].join('\n');
}

/**
 * `npm run demo`: the simulator and the daemon in one process on one fast clock, in an
 * emptied directory. Three companies: a backlog of a few thousand documents, one with
 * nothing, and one whose first answer is a scripted 656 (another system using the CNPJ).
 * Ends with the status table and the simulator's count of rule violations; exit code 1
 * if there is any.
 */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const dir = resolve(opts.dir);
  emptyDir(dir);
  const tlsDir = join(dir, 'tls');
  const out = opts.out;
  out(`dfe-sync demo in ${dir}: one simulated hour every ${(HOUR / opts.rate / 1000).toFixed(1)} s`);
  ensureTestMaterial(tlsDir, COMPANIES.map((c) => c.cnpj));

  const clock = new ScaledClock(opts.rate);
  const sim = new SefazSimulator({ tlsDir, clock, seed: 2026 });
  const [backlog, empty, shared] = COMPANIES;
  sim.addCompany(backlog.cnpj, { documents: opts.backlog });
  sim.addCompany(empty.cnpj, { documents: 0 });
  sim.addCompany(shared.cnpj, { documents: 120 });
  sim.scriptAnswer(shared.cnpj, { cStat: '656' });
  await sim.start();

  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, configText(dir, tlsDir, sim.distUrl, sim.eventUrl));
  const config = loadConfig(configFile);
  const logFile = join(dir, 'dfe-sync.log');
  const logger = createLogger({ level: 'info', clock, destination: pino.destination({ dest: logFile, sync: true }) });
  out(`simulator at ${sim.url}; config ${configFile}; JSON log ${logFile}; documents also written to ${join(dir, 'xml')}`);
  out(`companies: ${backlog.cnpj} (${opts.backlog} documents waiting), ${empty.cnpj} (nothing), ${shared.cnpj} (another system is using it: first answer 656)`);

  const runtime = openRuntime(config, { clock, logger });
  const leases = new LeaseKeeper(runtime.ctx.store, logger);
  const daemon = new Daemon(runtime.ctx, { maxInFlight: config.daemon.maxInFlight, leases });
  const start = clock.now();
  daemon.start();

  const progress = (): void => {
    const rows = COMPANIES.map((c) => {
      const r = runtime.ctx.store.getCompany(c.cnpj);
      const at = r?.ultNSU === null || r === null ? '-' : `${Number(r.ultNSU)}/${Number(r.maxNSU)}`;
      return `${c.cnpj} ${at.padStart(11)} ${String(r?.documents ?? 0).padStart(5)} docs`;
    });
    out(`[${formatLocalTime(clock.now(), config.timezone)} +${((clock.now() - start) / HOUR).toFixed(1)}h] ${rows.join(' | ')}`);
  };
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      progress();
      if (clock.now() - start >= opts.hours * HOUR) {
        clearInterval(timer);
        done();
      }
    }, 500);
  });

  await daemon.stop();
  runtime.close();
  await sim.stop();
  logger.flush();

  out('');
  out(formatStatusTable(statusOf(config, clock)));
  const calls = sim.calls();
  const violations = sim.violations();
  const scripted = calls.filter((c) => c.cause === 'scripted').length;
  out(`simulator: ${calls.length} calls, ${scripted} scripted 656 (another system), ${violations.length} rule violations`);
  for (const v of violations) out(`  violation: ${v.cnpj} ${v.op} ${v.rule}: ${v.detail}`);
  return violations.length === 0 ? 0 : 1;
}
