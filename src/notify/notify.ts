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

export interface NotificationEvent {
  kind: NotificationKind;
  cnpj: string | null;
  /** the same key is notified once, ever (e.g. `certificate-expiring:<cnpj>:<notAfter>:15`) */
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
      const channels = [...new Set(recipientsOf(cfg, company, event.roles).flatMap(channelsOf))];
      const payload = { kind: event.kind, cnpj: event.cnpj, companyName: company?.name ?? null, message: event.message, ...(event.data ?? {}) };
      const fresh = store.addNotification({ dedupeKey: event.dedupeKey, cnpj: event.cnpj, kind: event.kind, payload, channels }, now());
      if (fresh) logger.info({ cnpj: event.cnpj, notification: event.kind, channels: channels.length }, `notification: ${event.message}`);
    } catch (err) {
      logger.error({ err, notification: event.kind }, `could not record a notification: ${(err as Error).message}`);
    }
  };
}
