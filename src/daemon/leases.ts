import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { LeaseHolder, Store } from '../store/index.js';

export const LEASE_TTL_MS = 60_000;

/** This process as a lease holder: a lease of a dead pid on this host is taken over at once. */
export function thisProcess(): LeaseHolder {
  return { host: hostname(), pid: process.pid, id: randomUUID() };
}

/**
 * The leases this process holds on CNPJs, so that a second process (another daemon, a
 * `run --once` from cron) never works a CNPJ the first one holds: two clients on one
 * CNPJ would break SEFAZ's shared NSU sequence. Leases run on the wall clock whatever
 * clock the rules use: they are about processes, not about SEFAZ's hours.
 */
export class LeaseKeeper {
  private readonly held = new Set<string>();
  /** CNPJs whose refusal was already logged: retried every renewal, said once */
  private readonly refused = new Set<string>();

  constructor(
    private readonly store: Store<never> | Store<any>,
    private readonly logger: Logger,
    readonly holder: LeaseHolder = thisProcess(),
    private readonly ttlMs: number = LEASE_TTL_MS,
  ) {}

  holds(cnpj: string): boolean {
    return this.held.has(cnpj);
  }

  /** CNPJs another live process holds, as last tried. */
  get refusedCnpjs(): string[] {
    return [...this.refused];
  }

  /** Takes what it can of `cnpjs`; says who holds the others. Returns the ones now held. */
  acquire(cnpjs: readonly string[]): string[] {
    const wanted = cnpjs.filter((c) => !this.held.has(c));
    if (wanted.length === 0) return [];
    const { acquired, refused } = this.store.acquireLeases(wanted, this.holder, this.ttlMs, Date.now());
    for (const c of acquired) {
      this.held.add(c);
      this.refused.delete(c);
    }
    for (const r of refused) {
      if (this.refused.has(r.cnpj)) continue;
      this.refused.add(r.cnpj);
      this.logger.error(
        { cnpj: r.cnpj, holderHost: r.holder.host, holderPid: r.holder.pid },
        `CNPJ ${r.cnpj} is being worked by another dfe-sync process (pid ${r.holder.pid} on ${r.holder.host}): not syncing it here while that process holds it`,
      );
    }
    return acquired;
  }

  /** Renews every held lease; returns the CNPJs whose lease was lost to another process. */
  renew(): string[] {
    if (this.held.size === 0) return [];
    const { lost } = this.store.renewLeases([...this.held], this.holder, this.ttlMs, Date.now());
    for (const c of lost) {
      this.held.delete(c);
      this.logger.error({ cnpj: c }, `lease on CNPJ ${c} was taken by another process: stopped syncing it here`);
    }
    return lost;
  }

  release(cnpjs?: readonly string[]): void {
    const list = cnpjs ?? [...this.held];
    if (list.length === 0) return;
    this.store.releaseLeases(this.holder, list);
    for (const c of list) this.held.delete(c);
  }

  get renewEveryMs(): number {
    return Math.floor(this.ttlMs / 3);
  }
}
