/**
 * What `dfe-sync contacts` shows: who is told what, through which channel, and what in the
 * configuration would keep a notice from arriving. Built from the config alone; secrets
 * are never read (a secret file is only checked for readability).
 */
import { accessSync, constants } from 'node:fs';
import type { CompanyConfig, Config, ContactConfig, Role } from '../config/index.js';
import { KIND_ROLES, NOTIFICATION_KINDS, recipientsOf, type NotificationKind } from './notify.js';
import { hostOf } from './webhook.js';

export type ChannelView =
  | { type: 'webhook'; scheme: string; host: string; signed: boolean; secretFrom: 'file' | 'env' | null }
  | { type: 'command'; program: string };

export interface ContactView {
  /** null: a global contact, notified about every company */
  cnpj: string | null;
  name: string;
  roles: Role[];
  channels: ChannelView[];
}

export interface ContactsReport {
  config: string;
  contacts: ContactView[];
  /** per configured company, the contacts each role's notices reach (legal ones included) */
  companies: { cnpj: string; name: string; recipients: Record<Role, string[]> }[];
  /** what each role receives; legal receives every kind */
  roles: Record<Role, NotificationKind[]>;
  problems: string[];
}

const ROLES: Role[] = ['legal', 'financial', 'technical'];
const LOOPBACK = /^(localhost|127(\.\d+){3}|\[::1\])(:\d+)?$/;

function channelsOf(c: ContactConfig): ChannelView[] {
  const out: ChannelView[] = [];
  if (c.webhook !== null) {
    const secretFrom = c.webhook.secretFile !== null ? 'file' : c.webhook.secretEnv !== null ? 'env' : null;
    let scheme = '?';
    try {
      scheme = new URL(c.webhook.url).protocol.replace(/:$/, '');
    } catch {
      // the schema accepted it as a URL; shown as unknown rather than failing the report
    }
    out.push({ type: 'webhook', scheme, host: hostOf(c.webhook.url), signed: secretFrom !== null, secretFrom });
  }
  if (c.command !== null) out.push({ type: 'command', program: c.command[0] ?? '' });
  return out;
}

function contactProblems(c: ContactConfig, where: string): string[] {
  const problems: string[] = [];
  const name = `contact "${c.name}" (${where})`;
  if (c.webhook !== null) {
    const { url, secretFile, secretEnv } = c.webhook;
    const host = hostOf(url);
    if (url.startsWith('http:') && !LOOPBACK.test(host)) problems.push(`${name}: webhook ${host} is plain http: notices travel unencrypted, use https`);
    if (secretFile !== null && secretEnv !== null) problems.push(`${name}: both secretFile and secretEnv are set; secretFile is used`);
    if (secretFile !== null) {
      try {
        accessSync(secretFile, constants.R_OK);
      } catch (err) {
        problems.push(`${name}: webhook secret file ${secretFile} cannot be read by this user (${(err as NodeJS.ErrnoException).code ?? 'error'}); the daemon's user must read it`);
      }
    }
  }
  const program = c.command?.[0];
  if (program !== undefined && program.includes('/')) {
    try {
      accessSync(program, constants.X_OK);
    } catch (err) {
      problems.push(`${name}: command ${program} cannot be run (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return problems;
}

function companyProblems(config: Config, company: CompanyConfig): string[] {
  const problems: string[] = [];
  const who = `CNPJ ${company.cnpj} (${company.name})`;
  for (const own of company.contacts) {
    if (config.contacts.some((g) => g.name === own.name)) {
      problems.push(`${who}: contact name "${own.name}" is also a global contact's: only the company's is notified for it; rename one`);
    }
  }
  const seen = new Set<string>();
  for (const own of company.contacts) {
    if (seen.has(own.name)) problems.push(`${who}: two contacts named "${own.name}": only the first is notified; rename one`);
    seen.add(own.name);
  }
  if (recipientsOf(config, company, ['technical']).length === 0) {
    problems.push(`${who}: nobody receives technical notices (656, certificate expiry, silence): add a contact with role technical or legal`);
  }
  if (company.monthlyLimit?.notify && recipientsOf(config, company, ['financial']).length === 0) {
    problems.push(`${who}: its monthly limit notifies, but nobody receives financial notices: add a contact with role financial or legal`);
  }
  return problems;
}

export function contactsReport(config: Config): ContactsReport {
  const contacts: ContactView[] = [
    ...config.contacts.map((c) => ({ cnpj: null, name: c.name, roles: c.roles, channels: channelsOf(c) })),
    ...config.companies.flatMap((co) => co.contacts.map((c) => ({ cnpj: co.cnpj, name: c.name, roles: c.roles, channels: channelsOf(c) }))),
  ];
  const noContacts = contacts.length === 0;
  const globalNames = new Set<string>();
  const problems = [
    ...(noContacts ? ['no contact is configured: nothing is notified (add contacts: see schemas/config.example.yaml)'] : []),
    ...config.contacts.flatMap((c) => {
      const dup = globalNames.has(c.name);
      globalNames.add(c.name);
      return [...(dup ? [`two global contacts named "${c.name}": only the first is notified; rename one`] : []), ...contactProblems(c, 'global')];
    }),
    ...config.companies.flatMap((co) => [...co.contacts.flatMap((c) => contactProblems(c, `CNPJ ${co.cnpj}`)), ...(noContacts ? [] : companyProblems(config, co))]),
  ];
  const roles = Object.fromEntries(
    ROLES.map((r) => [r, r === 'legal' ? NOTIFICATION_KINDS : NOTIFICATION_KINDS.filter((k) => KIND_ROLES[k].includes(r))]),
  ) as Record<Role, NotificationKind[]>;
  const companies = config.companies.map((co) => ({
    cnpj: co.cnpj,
    name: co.name,
    recipients: Object.fromEntries(ROLES.map((r) => [r, [...new Set(recipientsOf(config, co, [r]).map((c) => c.name))]])) as Record<Role, string[]>,
  }));
  return { config: config.file, contacts, companies, roles, problems };
}

function channelWords(ch: ChannelView): string {
  if (ch.type === 'command') return `command ${ch.program}`;
  const signing = ch.signed ? `signed, secret from ${ch.secretFrom}` : 'unsigned';
  return `webhook ${ch.scheme === 'https' ? '' : `${ch.scheme}://`}${ch.host} (${signing})`;
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function formatContactsReport(report: ContactsReport): string {
  const lines = [`Contacts in ${report.config}`, ''];
  const groups: [string, ContactView[]][] = [['Global (notified about every company):', report.contacts.filter((c) => c.cnpj === null)]];
  for (const co of report.companies) {
    const own = report.contacts.filter((c) => c.cnpj === co.cnpj);
    if (own.length > 0) groups.push([`CNPJ ${co.cnpj} ${co.name}:`, own]);
  }
  for (const [title, list] of groups) {
    lines.push(title);
    if (list.length === 0) lines.push('  (none)');
    else lines.push(...table([['NAME', 'ROLES', 'CHANNELS'], ...list.map((c) => [c.name, c.roles.join(','), c.channels.map(channelWords).join('; ')])]));
    lines.push('');
  }
  if (report.companies.length > 0) {
    lines.push('Who receives what, per company:');
    const names = (list: string[]) => (list.length === 0 ? '-' : list.join(','));
    lines.push(...table([['CNPJ', 'NAME', 'LEGAL', 'FINANCIAL', 'TECHNICAL'], ...report.companies.map((c) => [c.cnpj, c.name, names(c.recipients.legal), names(c.recipients.financial), names(c.recipients.technical)])]));
    lines.push('');
  }
  lines.push('What each role receives:');
  lines.push(...table(ROLES.map((r) => [r, r === 'legal' ? `everything: ${report.roles.legal.join(', ')}` : report.roles[r].join(', ')])));
  lines.push('');
  if (report.problems.length > 0) {
    lines.push('Problems:');
    lines.push(...report.problems.map((p) => `  - ${p}`));
    lines.push('');
  }
  return lines.join('\n');
}
