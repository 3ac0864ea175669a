/**
 * `dfe-sync cert`: inspect a .pfx, or make test material for the simulator and demo.
 * The work is in plain functions (tested directly); commander only wires them.
 */
import { Command, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, parse } from 'node:path';
import { systemClock, type Clock } from '../../clock.js';
import { readPfx, type LoadedCertificate } from '../../cert/load.js';
import { ensureTestMaterial } from '../../cert/testMaterial.js';
import { cnpjProblem } from '../../sefaz/identifiers.js';
import { UsageError, repeatable, runCommand, withUsageExits } from '../common.js';

const DAY = 86_400_000;

export interface InspectReport {
  file: string;
  cnpj: string | null;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** Whole days until notAfter; negative once expired. */
  daysLeft: number;
  status: 'valid' | 'expired' | 'not yet valid';
  fingerprint256: string;
}

export function inspectReport(file: string, cert: LoadedCertificate, now: number): InspectReport {
  return {
    file,
    cnpj: cert.cnpj,
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: Math.floor((cert.notAfter.getTime() - now) / DAY),
    status: now > cert.notAfter.getTime() ? 'expired' : now < cert.notBefore.getTime() ? 'not yet valid' : 'valid',
    fingerprint256: cert.fingerprint256,
  };
}

const when = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

export function formatInspect(r: InspectReport): string {
  const rows: [string, string][] = [
    ['file', r.file],
    ['CNPJ', r.cnpj ?? '(none: neither ICP-Brasil otherName 2.16.76.1.3.3 nor NAME:CNPJ)'],
    ['subject', r.subject],
    ['issuer', r.issuer],
    ['not before', when(r.notBefore)],
    ['not after', when(r.notAfter)],
    ['days left', r.status === 'valid' ? String(r.daysLeft) : `${r.daysLeft} (${r.status})`],
    ['sha256', r.fingerprint256],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)}${v}`).join('\n') + '\n';
}

export interface PasswordOptions {
  passwordFile?: string;
  passwordEnv?: string;
}

export interface CliIO {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Asks on the terminal without echo; null when there is no terminal to ask on. */
  promptHidden: ((question: string) => Promise<string>) | null;
}

/** Password files may end in a newline, as editors and `echo` leave them. */
function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new UsageError(`cannot read password file ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** `--password-file`, `--password-env`, the `.pass` beside the .pfx, or a prompt, in that order. */
export async function inspectPassword(file: string, opts: PasswordOptions, io: CliIO): Promise<string> {
  if (opts.passwordFile !== undefined) return readPasswordFile(opts.passwordFile);
  if (opts.passwordEnv !== undefined) {
    const value = io.env[opts.passwordEnv];
    if (value === undefined) throw new UsageError(`environment variable ${opts.passwordEnv} is not set`);
    return value;
  }
  const { dir, name } = parse(file);
  const beside = join(dir, `${name}.pass`);
  if (existsSync(beside)) return readPasswordFile(beside);
  if (io.promptHidden === null) {
    throw new UsageError(`no password for ${file}: give --password-file FILE or --password-env VAR, or put it in ${beside}`);
  }
  return io.promptHidden(`password for ${file}: `);
}

export async function runInspect(file: string, opts: PasswordOptions & { json?: boolean }, io: CliIO): Promise<string> {
  const password = await inspectPassword(file, opts, io);
  const report = inspectReport(file, readPfx(file, password), io.clock.now());
  return opts.json ? JSON.stringify(report, null, 2) + '\n' : formatInspect(report);
}

export interface MakeTestOptions {
  out: string;
  cnpj: string[];
  legacy?: boolean;
}

export function runMakeTest(opts: MakeTestOptions): string {
  if (opts.cnpj.length === 0) throw new UsageError('give at least one --cnpj');
  for (const cnpj of opts.cnpj) {
    const problem = cnpjProblem(cnpj);
    if (problem !== null) throw new UsageError(`--cnpj ${problem}`);
  }
  const m = ensureTestMaterial(opts.out, opts.cnpj, { legacy: opts.legacy ?? false });
  const all = [m.caCert, m.caKey, m.serverCert, m.serverKey, ...m.clients.flatMap((c) => [c.pfx, c.passwordFile])];
  const kept = all.filter((f) => !m.written.includes(f));
  const lines = m.written.map((f) => `wrote ${f}`);
  if (m.written.length === 0) lines.push(`${m.dir} already had everything; nothing written`);
  else if (kept.length > 0) lines.push(`kept ${kept.length} file(s) already in ${m.dir}`);
  lines.push(`CA for the client's trust (sefaz.caFile): ${m.caCert}`);
  for (const c of m.clients) lines.push(`CNPJ ${c.cnpj}: ${c.pfx} (password in ${c.passwordFile})`);
  return lines.join('\n') + '\n';
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let answer: string[] = [];
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(answer.join(''));
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new UsageError('no password given (cancelled)'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer.push(ch);
      }
    };
    process.stderr.write(question);
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

const run = (work: () => Promise<string> | string): Promise<void> => runCommand(async () => ({ text: await work() }));

export function registerCertCommand(program: Command): void {
  const cert = withUsageExits(program.command('cert').description('inspect an A1 certificate (.pfx), or make test certificates'));

  cert
    .command('make-test')
    .description('write a test CA, a server certificate for 127.0.0.1/localhost and client .pfx files (keeps what DIR already has)')
    .requiredOption('--out <dir>', 'directory for the test material')
    .option('--cnpj <cnpj>', 'a client certificate for this CNPJ (repeatable)', repeatable, [])
    .option('--legacy', 'new .pfx files use RC2-40/3DES, as older exports do')
    .action((o: MakeTestOptions) => run(() => runMakeTest(o)));

  cert
    .command('inspect')
    .description('print the CNPJ, subject, issuer, validity and days left of a .pfx')
    .argument('<file>', 'the .pfx file')
    .addOption(new Option('--password-file <file>', 'file holding the password (a trailing newline is ignored)').conflicts('passwordEnv'))
    .option('--password-env <var>', 'environment variable holding the password')
    .option('--json', 'print JSON')
    .action((file: string, o: PasswordOptions & { json?: boolean }) =>
      run(() =>
        runInspect(file, o, {
          env: process.env,
          clock: systemClock,
          promptHidden: process.stdin.isTTY ? promptHidden : null,
        }),
      ),
    );
}
