import { Command } from 'commander';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerContactsCommand, runContacts } from '../../src/cli/commands/contacts.js';
import { parseConfig } from '../../src/config/index.js';
import type { ContactsReport } from '../../src/notify/contacts.js';
import { cnpj, tempDir } from '../status/support.js';

const ACME = cnpj('111222333000');
const BETA = cnpj('444555666000');
const SECRET = 'hmac-secret-3e9b1f';
const URL_TOKEN = 'B0XYZ-token-in-path';

let dir: string;
let cleanup: () => void;
let file: string;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('contacts'));
  writeFileSync(join(dir, 'hook.secret'), `${SECRET}\n`);
  const hook = join(dir, 'notify-legal');
  writeFileSync(hook, '#!/bin/sh\ncat >/dev/null\n');
  chmodSync(hook, 0o755);
  file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'environment: homologation',
      'stateDir: state',
      'contacts:',
      '  - name: ops',
      '    roles: [technical]',
      `    webhook: { url: "https://hooks.example.com/services/${URL_TOKEN}?key=${URL_TOKEN}", secretFile: hook.secret }`,
      '  - name: diretoria',
      '    roles: [legal]',
      `    command: ["${hook}", "--urgent"]`,
      '    webhook: { url: "http://alerts.example.net/in", secretEnv: ALERTS_SECRET }',
      'companies:',
      `  - cnpj: "${ACME}"`,
      '    name: Acme Ltda',
      '    uf: SP',
      '    certificate: { pfx: a.pfx, passwordFile: a.pass }',
      '    monthlyLimit: { calls: 100 }',
      '    contacts:',
      '      - name: fiscal',
      '        roles: [financial]',
      '        webhook: { url: "https://erp.acme.example/hooks/dfe" }',
      '      - name: ops',
      '        roles: [technical]',
      '        command: ["/nonexistent/ops-pager"]',
      `  - cnpj: "${BETA}"`,
      '    name: Beta SA',
      '    uf: SP',
      '    certificate: { pfx: b.pfx, passwordFile: b.pass }',
    ].join('\n') + '\n',
  );
});
afterAll(() => cleanup());

describe('contacts --json', () => {
  it('lists every contact with its roles and channels: webhook host only, whether signed, the program', () => {
    const report = JSON.parse(runContacts({ config: file, json: true }, {})) as ContactsReport;
    expect(report.contacts).toEqual([
      { cnpj: null, name: 'ops', roles: ['technical'], channels: [{ type: 'webhook', scheme: 'https', host: 'hooks.example.com', signed: true, secretFrom: 'file' }] },
      {
        cnpj: null, name: 'diretoria', roles: ['legal'],
        channels: [{ type: 'webhook', scheme: 'http', host: 'alerts.example.net', signed: true, secretFrom: 'env' }, { type: 'command', program: join(dir, 'notify-legal') }],
      },
      { cnpj: ACME, name: 'fiscal', roles: ['financial'], channels: [{ type: 'webhook', scheme: 'https', host: 'erp.acme.example', signed: false, secretFrom: null }] },
      { cnpj: ACME, name: 'ops', roles: ['technical'], channels: [{ type: 'command', program: '/nonexistent/ops-pager' }] },
    ]);
  });

  it('says who receives what for each company, and what each role receives', () => {
    const report = JSON.parse(runContacts({ config: file, json: true }, {})) as ContactsReport;
    expect(report.companies).toEqual([
      { cnpj: ACME, name: 'Acme Ltda', recipients: { legal: ['diretoria'], financial: ['diretoria', 'fiscal'], technical: ['ops', 'diretoria'] } },
      { cnpj: BETA, name: 'Beta SA', recipients: { legal: ['diretoria'], financial: ['diretoria'], technical: ['ops', 'diretoria'] } },
    ]);
    expect(report.roles.legal).toHaveLength(10);
    expect(report.roles.financial).toEqual(['suspended', 'reactivated', 'limit-reached', 'documents-arrived']);
    expect(report.roles.technical).toEqual(expect.arrayContaining(['consumo-indevido', 'certificate-expiring', 'certificate-expired', 'silent', 'full-missing']));
    expect(report.roles.technical).not.toContain('limit-reached');
  });

  it('lists what would keep a notice from arriving', () => {
    const report = JSON.parse(runContacts({ config: file, json: true }, {})) as ContactsReport;
    expect(report.problems).toEqual([
      'contact "diretoria" (global): webhook alerts.example.net is plain http: notices travel unencrypted, use https',
      `contact "ops" (CNPJ ${ACME}): command /nonexistent/ops-pager cannot be run (ENOENT)`,
      `CNPJ ${ACME} (Acme Ltda): contact name "ops" is also a global contact's: only the company's is notified for it; rename one`,
    ]);
  });

  it('never shows a secret or the webhook path', () => {
    for (const json of [true, false]) {
      const out = runContacts({ config: file, json }, { ALERTS_SECRET: 'env-secret-value' });
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain('env-secret-value');
      expect(out).not.toContain(URL_TOKEN);
      expect(out).not.toContain('/hooks/dfe');
    }
  });
});

describe('contacts (text)', () => {
  it('shows the global and per-company contacts, the recipients per company and the roles', () => {
    const text = runContacts({ config: file }, {});
    expect(text).toContain(`Contacts in ${file}`);
    expect(text).toMatch(/Global \(notified about every company\):\n\s+NAME\s+ROLES\s+CHANNELS\n\s+ops\s+technical\s+webhook hooks\.example\.com \(signed, secret from file\)\n/);
    expect(text).toMatch(new RegExp(`diretoria\\s+legal\\s+webhook http://alerts\\.example\\.net \\(signed, secret from env\\); command ${join(dir, 'notify-legal')}`));
    expect(text).toMatch(new RegExp(`CNPJ ${ACME} Acme Ltda:\\n.*\\n\\s+fiscal\\s+financial\\s+webhook erp\\.acme\\.example \\(unsigned\\)`));
    expect(text).toMatch(new RegExp(`${BETA}\\s+Beta SA\\s+diretoria\\s+diretoria\\s+ops,diretoria`));
    expect(text).toMatch(/legal\s+everything: consumo-indevido, /);
    expect(text).toMatch(/financial\s+suspended, reactivated, limit-reached, documents-arrived/);
    expect(text).toContain('Problems:\n  - contact "diretoria" (global): webhook alerts.example.net is plain http');
  });

  it('says when nothing is notified at all', () => {
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, readFileSync(file, 'utf8').replace(/^contacts:[\s\S]*?^companies:/m, 'companies:').replace(/^ {4}contacts:[\s\S]*?(?=^ {2}- cnpj: "\w+"\n {4}name: Beta)/m, ''));
    const report = JSON.parse(runContacts({ config: bare, json: true }, {})) as ContactsReport;
    expect(report.contacts).toEqual([]);
    expect(report.problems).toEqual(['no contact is configured: nothing is notified (add contacts: see schemas/config.example.yaml)']);
  });

  it('flags a company nobody technical would hear about', () => {
    const partial = join(dir, 'partial.yaml');
    writeFileSync(partial, readFileSync(file, 'utf8').replace(/^contacts:[\s\S]*?^companies:/m, 'companies:'));
    const report = JSON.parse(runContacts({ config: partial, json: true }, {})) as ContactsReport;
    expect(report.problems).toContain(`CNPJ ${BETA} (Beta SA): nobody receives technical notices (656, certificate expiry, silence): add a contact with role technical or legal`);
    expect(report.problems.some((p) => p.startsWith(`CNPJ ${ACME} (Acme Ltda): nobody receives technical`))).toBe(false);
  });
});

describe('registerContactsCommand', () => {
  it('runs as `dfe-sync contacts --config F --json`', async () => {
    const program = new Command().exitOverride();
    registerContactsCommand(program);
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'dfe-sync', 'contacts', '--config', file, '--json']);
    } finally {
      write.mockRestore();
    }
    expect((JSON.parse(out) as ContactsReport).contacts).toHaveLength(4);
  });
});

describe('schemas/config.example.yaml', () => {
  it('its commented contacts and notifications examples are valid once uncommented', () => {
    const example = readFileSync(new URL('../../schemas/config.example.yaml', import.meta.url), 'utf8');
    const start = example.indexOf('# contacts:');
    expect(start).toBeGreaterThan(0);
    const end = example.indexOf('\n', example.indexOf('#   documentsArrived:', start));
    const uncommented = example.slice(0, start) + example.slice(start, end).replace(/^# ?/gm, '') + example.slice(end);
    const config = parseConfig(uncommented, join(dir, 'example.yaml'));
    expect(config.contacts.map((c) => [c.name, c.roles, c.webhook?.url ?? null, c.command])).toEqual([
      ['ops', ['technical'], 'https://hooks.example.com/dfe-sync', null],
      ['diretoria', ['legal'], null, ['/usr/local/bin/notify-legal', '--urgent']],
    ]);
    expect(config.notifications).toEqual({ silentDays: 10, fullMissingHours: 48, documentsArrived: false });
  });
});
