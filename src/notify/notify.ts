import type { CompanyConfig, Config, ContactConfig, Role } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/index.js';

/** What operators are told about. */
export type NotificationKind =
  | 'consumo-indevido'
  | 'certificate-expiring'
  | 'certificate-expired'
  | 'certificate-rejected'
  | 'suspended'
  | 'reactivated'
  | 'limit-reached'
  | 'silent'
  | 'documents-arrived'
  | 'full-missing';

/**
 * Who each kind is for, besides `legal` (who gets everything). The one table both the
 * notifier and `dfe-sync contacts` read, so what the CLI says a role receives is what it
 * receives whatever roles a producer passed.
 */
export const KIND_ROLES: Readonly<Record<NotificationKind, readonly Role[]>> = {
  'consumo-indevido': ['technical'],
  'certificate-expiring': ['technical'],
  'certificate-expired': ['technical'],
  'certificate-rejected': ['technical'],
  suspended: ['financial', 'technical'],
  reactivated: ['financial', 'technical'],
  'limit-reached': ['financial'],
  silent: ['technical'],
  'documents-arrived': ['financial', 'technical'],
  'full-missing': ['technical'],
};

export const NOTIFICATION_KINDS = Object.keys(KIND_ROLES) as NotificationKind[];

export interface NotificationEvent {
  kind: NotificationKind;
  cnpj: string | null;
  /** the same key is notified once, ever (e.g. `cert-expiring:<cnpj>:<notAfter>:15`) */
  dedupeKey: string;
  /** who should know, besides `legal`, who gets everything */
  roles: Role[];
  message: string;
  data?: Record<string, unknown>;
}

/** Records a notification for delivery; never throws into the caller's work. */
export type Notify = (event: NotificationEvent) => void;

/** The channel name of a contact's webhook or command, as deliveries record it. */
export function channelsOf(contact: ContactConfig): string[] {
  return [
    ...(contact.webhook === null ? [] : [`webhook:${contact.name}`]),
    ...(contact.command === null ? [] : [`command:${contact.name}`]),
  ];
}

export type ChannelType = 'webhook' | 'command';

/** `webhook:<name>` → its type and contact name; null for a channel this version does not know. */
export function parseChannel(channel: string): { type: ChannelType; contact: string } | null {
  const m = /^(webhook|command):(.*)$/s.exec(channel);
  return m === null ? null : { type: m[1] as ChannelType, contact: m[2]! };
}

/**
 * The contact a delivery's channel names, as the configuration says now (a company's own
 * contact before a global one of the same name); null when it is gone or no longer has
 * that channel.
 */
export function contactOfChannel(config: Config, cnpj: string | null, channel: string): { type: ChannelType; contact: ContactConfig } | null {
  const parsed = parseChannel(channel);
  if (parsed === null) return null;
  const company = cnpj === null ? undefined : config.companies.find((c) => c.cnpj === cnpj);
  const contact = [...(company?.contacts ?? []), ...config.contacts].find((c) => c.name === parsed.contact && c[parsed.type] !== null);
  return contact === undefined ? null : { type: parsed.type, contact };
}

/** Global contacts plus the company's own, whose roles include one of `roles` or `legal`. */
export function recipientsOf(config: Config, company: CompanyConfig | null, roles: readonly Role[]): ContactConfig[] {
  const all = [...config.contacts, ...(company?.contacts ?? [])];
  return all.filter((c) => c.roles.includes('legal') || c.roles.some((r) => roles.includes(r)));
}

/**
 * The Notify of a running configuration: the event is stored once (deduplicated) with one
 * delivery per channel of each contact concerned, in the same database as everything
 * else, so a crash loses none and a delivery that fails never holds up syncing.
 */
export function storeNotify(config: () => Config, store: Store<never> | Store<any>, now: () => number, logger: Logger): Notify {
  return (event) => {
    try {
      const cfg = config();
      const company = event.cnpj === null ? null : cfg.companies.find((c) => c.cnpj === event.cnpj) ?? null;
      const roles = [...new Set([...event.roles, ...KIND_ROLES[event.kind]])];
      const channels = [...new Set(recipientsOf(cfg, company, roles).flatMap(channelsOf))];
      const payload = { kind: event.kind, cnpj: event.cnpj, companyName: company?.name ?? null, message: event.message, ...(event.data ?? {}) };
      const fresh = store.addNotification({ dedupeKey: event.dedupeKey, cnpj: event.cnpj, kind: event.kind, payload, channels }, now());
      if (fresh) logger.info({ cnpj: event.cnpj, notification: event.kind, channels: channels.length }, `notification: ${event.message}`);
    } catch (err) {
      logger.error({ err, notification: event.kind }, `could not record a notification: ${(err as Error).message}`);
    }
  };
}
