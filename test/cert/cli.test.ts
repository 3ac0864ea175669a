import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import {
  inspectPassword, registerCertCommand, runInspect, runMakeTest, type CliIO,
} from '../../src/cli/commands/cert.js';
import { UsageError } from '../../src/cli/common.js';
import { makeClientPfx, makeTestCA } from '../../src/cert/testMaterial.js';
import { CertificateError } from '../../src/cert/errors.js';
import { tempDir } from './helpers.js';

const CNPJ = '11222333000181';
const NOT_AFTER = new Date('2027-01-01T00:00:00Z');
const DAY = 86_400_000;

describe('dfe-sync cert', () => {
  const dir = tempDir();
  let pfx: string;
  const io = (over: Partial<CliIO> = {}): CliIO => ({
    env: {},
    clock: new ManualClock(NOT_AFTER.getTime() - 30 * DAY - 1000),
    promptHidden: null,
    ...over,
  });

  beforeAll(() => {
    const ca = makeTestCA();
    pfx = join(dir, 'acme.pfx');
    writeFileSync(pfx, makeClientPfx(ca, {
      cnpj: CNPJ, name: 'ACME LTDA', password: 'segredo', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: NOT_AFTER,
    }));
    writeFileSync(join(dir, 'acme.pass'), 'segredo\n');
  });

  describe('inspect', () => {
    it('prints CNPJ, subject, issuer, validity and days left, with the password from the .pass beside the file', async () => {
      const out = await runInspect(pfx, {}, io());
      expect(out).toMatch(new RegExp(`^CNPJ +${CNPJ}$`, 'm'));
      expect(out).toMatch(/^subject +.*CN=ACME LTDA$/m);
      expect(out).toMatch(/^issuer +.*CN=AC dfe-sync TESTE$/m);
      expect(out).toMatch(/^not before +2026-01-01 00:00:00 UTC$/m);
      expect(out).toMatch(/^not after +2027-01-01 00:00:00 UTC$/m);
      expect(out).toMatch(/^days left +30$/m);
      expect(out).not.toContain('segredo');
    });

    it('says expired, with negative days, for a certificate past its end', async () => {
      const out = await runInspect(pfx, {}, io({ clock: new ManualClock(NOT_AFTER.getTime() + 3 * DAY) }));
      expect(out).toMatch(/^days left +-3 \(expired\)$/m);
    });

    it('--json gives the same facts', async () => {
      const report = JSON.parse(await runInspect(pfx, { json: true }, io())) as Record<string, unknown>;
      expect(report).toMatchObject({ file: pfx, cnpj: CNPJ, daysLeft: 30, status: 'valid', notAfter: NOT_AFTER.toISOString() });
      expect(report.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    });

    it('takes the password from --password-file (trailing newline ignored) or --password-env', async () => {
      const file = join(dir, 'other-name.txt');
      writeFileSync(file, 'from-file\r\n');
      expect(await inspectPassword(pfx, { passwordFile: file }, io())).toBe('from-file');
      expect(await inspectPassword(pfx, { passwordEnv: 'PFX_PW' }, io({ env: { PFX_PW: 'from-env' } }))).toBe('from-env');
      await expect(inspectPassword(pfx, { passwordEnv: 'PFX_PW' }, io())).rejects.toThrow(UsageError);
      await expect(inspectPassword(pfx, { passwordFile: join(dir, 'absent') }, io())).rejects.toThrow(/cannot read password file/);
    });

    it('without a password source: prompts on a terminal, else says how to give one', async () => {
      const lone = join(dir, 'lone.pfx');
      writeFileSync(lone, readFileSync(pfx));
      const asked: string[] = [];
      const promptHidden = async (q: string): Promise<string> => (asked.push(q), 'segredo');
      expect(await runInspect(lone, {}, io({ promptHidden }))).toContain(CNPJ);
      expect(asked).toEqual([`password for ${lone}: `]);
      const e = await runInspect(lone, {}, io()).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(UsageError);
      expect((e as Error).message).toMatch(/--password-file FILE or --password-env VAR/);
    });

    it('a wrong password is a certificate error that does not echo it', async () => {
      const e = await runInspect(pfx, { passwordEnv: 'X' }, io({ env: { X: 'not-the-one' } })).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(CertificateError);
      expect((e as CertificateError).code).toBe('CERT_BAD_PASSWORD');
      expect((e as Error).message).not.toContain('not-the-one');
    });
  });

  describe('make-test', () => {
    it('writes the material and says what it wrote, then that it kept it', () => {
      const out = join(dir, 'material');
      const said = runMakeTest({ out, cnpj: [CNPJ] });
      for (const f of ['ca.pem', 'ca.key', 'server.pem', 'server.key', `${CNPJ}.pfx`, `${CNPJ}.pass`]) {
        expect(said).toContain(`wrote ${join(out, f)}`);
      }
      expect(said).toContain(`CNPJ ${CNPJ}: ${join(out, `${CNPJ}.pfx`)} (password in ${join(out, `${CNPJ}.pass`)})`);
      expect(said).not.toContain(readFileSync(join(out, `${CNPJ}.pass`), 'utf8'));
      expect(said).not.toMatch(/kept/);
      expect(runMakeTest({ out, cnpj: [CNPJ] })).toMatch(/already had everything; nothing written/);
      const more = runMakeTest({ out, cnpj: [CNPJ, '45997418000153'], legacy: true });
      expect(more).toContain(`wrote ${join(out, '45997418000153.pfx')}`);
      expect(more).toContain(`kept 6 file(s) already in ${out}`);
    });

    it('refuses an invalid CNPJ or none, as usage errors', () => {
      expect(() => runMakeTest({ out: join(dir, 'x'), cnpj: ['11222333000182'] })).toThrow(UsageError);
      expect(() => runMakeTest({ out: join(dir, 'x'), cnpj: ['11222333000182'] })).toThrow(/--cnpj "11222333000182" has wrong check digits/);
      expect(() => runMakeTest({ out: join(dir, 'x'), cnpj: [] })).toThrow(/at least one --cnpj/);
    });
  });

  describe('the commander wiring', () => {
    const writes: { out: string[]; err: string[] } = { out: [], err: [] };
    const program = (): Command => {
      writes.out = [];
      writes.err = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (writes.out.push(String(s)), true));
      vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (writes.err.push(String(s)), true));
      const p = new Command().name('dfe-sync');
      registerCertCommand(p);
      return p;
    };
    afterEach(() => {
      vi.restoreAllMocks();
      process.exitCode = undefined;
    });

    it('inspect prints the report; a bad certificate is one stderr line and exit code 1', async () => {
      await program().parseAsync(['node', 'dfe-sync', 'cert', 'inspect', pfx, '--json']);
      expect(JSON.parse(writes.out.join('')).cnpj).toBe(CNPJ);
      expect(process.exitCode).toBeUndefined();

      const notPfx = join(dir, 'acme.txt');
      writeFileSync(notPfx, 'hello');
      await program().parseAsync(['node', 'dfe-sync', 'cert', 'inspect', notPfx, '--password-env', 'HOME']);
      expect(writes.err).toEqual([`dfe-sync: ${notPfx} is not a PKCS#12 (.pfx/.p12) file: give the A1 certificate exported as .pfx with its private key\n`]);
      expect(process.exitCode).toBe(1);
    });

    it('usage problems exit with code 2, commander\'s own included', async () => {
      await program().parseAsync(['node', 'dfe-sync', 'cert', 'make-test', '--out', join(dir, 'y'), '--cnpj', '123']);
      expect(writes.err.join('')).toMatch(/^dfe-sync: --cnpj "123" is not a 14-digit CNPJ/);
      expect(process.exitCode).toBe(2);

      const exit = vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
        throw new Error(`exit ${code}`);
      }) as never);
      await expect(
        program().parseAsync(['node', 'dfe-sync', 'cert', 'inspect', pfx, '--password-file', 'a', '--password-env', 'B']),
      ).rejects.toThrow('exit 2');
      expect(exit).toHaveBeenCalledWith(2);
      expect(writes.err.join('')).toMatch(/^dfe-sync: option '--password-file <file>' cannot be used with option '--password-env <var>'/);
    });
  });
});
