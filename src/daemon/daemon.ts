import type { CompanyConfig } from '../config/index.js';
import { DfeSyncError } from '../errors.js';
import { initialCompanyState } from '../rules/state.js';
import type { WorkMark } from '../store/index.js';
import { companyStep, type CompanyStepResult } from '../sync/companyStep.js';
import type { SyncContext } from '../sync/context.js';
import type { LeaseKeeper } from './leases.js';
import { TimerQueue } from './timerQueue.js';
import { wakeAt } from './wake.js';

/** After an unexpected error in a company's step (a bug, a full disk), retry it after this. */
const ERROR_RETRY_MS = 60_000;
/** How often a running daemon looks for work queued by another process. */
const WORK_WATCH_MS = 2_000;

export interface DaemonOptions {
  /** global limit on SEFAZ calls in flight */
  maxInFlight: number;
  leases: LeaseKeeper;
  /**
   * 'real': wake on timers (setTimeout scaled by the clock's rate). 'manual': never arm a
   * timer; a driver calls runDue() and moves the clock to nextWakeAt() (discrete-event
   * simulation, for the soak test).
   */
  timers?: 'real' | 'manual';
}

/**
 * Schedules every company on a timer heap: each one is due at the instant its rules next
 * allow a call, and only due companies are touched, so thousands of idle companies cost
 * nothing between deadlines. At most `maxInFlight` steps run at once.
 */
export class Daemon {
  private readonly queue = new TimerQueue();
  private readonly companies = new Map<string, CompanyConfig>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private cancelWake: (() => void) | null = null;
  /** the housekeeping intervals (lease renewal, the queued-work watch) */
  private readonly intervals: NodeJS.Timeout[] = [];
  /** how far the queues were looked at for work other processes queued */
  private workMark: WorkMark | null = null;
  /** companies that got queued work while their step was running */
  private readonly dirty = new Set<string>();
  private stopping = false;

  constructor(
    private ctx: SyncContext,
    private readonly opts: DaemonOptions,
  ) {}

  /** Registers the configured companies, takes their leases and starts working. */
  start(): void {
    this.applyCompanies(this.ctx.config.companies);
    this.workMark = this.ctx.store.newWork(null).mark;
    // Also in manual mode: a long `run --once` drain must keep its leases.
    this.armRenewal();
    if ((this.opts.timers ?? 'real') === 'real') this.armWorkWatch();
    this.pump();
  }

  /** A new configuration (SIGHUP): companies added, removed, re-windowed, retried. */
  reload(ctx: SyncContext): void {
    this.ctx = ctx;
    this.applyCompanies(ctx.config.companies);
    this.pump();
  }

  /** Stops taking new work, waits for the batches in flight to be committed, releases leases. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelWake?.();
    for (const t of this.intervals) clearInterval(t);
    await Promise.allSettled([...this.inFlight.values()]);
    this.opts.leases.release();
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /** The next instant a company is due, or null when none is scheduled. */
  nextWakeAt(): number | null {
    return this.queue.peek()?.at ?? null;
  }

  /** Runs every company due now, and what they make due now, until nothing is due or in flight. */
  async runDue(): Promise<void> {
    this.pickUpQueuedWork();
    for (;;) {
      this.pump();
      if (this.inFlight.size === 0) return;
      await Promise.race(this.inFlight.values());
    }
  }

  private applyCompanies(list: readonly CompanyConfig[]): void {
    const { store, logger } = this.ctx;
    const enabled = list.filter((c) => c.enabled);
    store.upsertCompanies(list.map((c) => ({
      cnpj: c.cnpj, name: c.name, enabled: c.enabled, window: c.window.text, initialState: initialCompanyState(),
    })));
    const keep = new Set(enabled.map((c) => c.cnpj));
    const gone = [...this.companies.keys()].filter((c) => !keep.has(c));
    for (const cnpj of gone) {
      this.companies.delete(cnpj);
      this.queue.remove(cnpj);
    }
    this.opts.leases.release(gone.filter((c) => !this.inFlight.has(c)));
    this.opts.leases.acquire(enabled.map((c) => c.cnpj));
    const now = this.ctx.clock.now();
    for (const company of enabled) {
      this.companies.set(company.cnpj, company);
      if (!this.opts.leases.holds(company.cnpj)) continue;
      const record = store.getCompany(company.cnpj);
      // Starting or reloading is how an operator says "I fixed it": a stopped company is
      // tried again (its stop comes back at once if the cause is still there).
      store.resumeInterruptedWork(company.cnpj);
      if (record?.state.stopped) {
        logger.info({ cnpj: company.cnpj }, `retrying company stopped for: ${record.state.stopped.message}`);
        store.saveState(company.cnpj, { ...record.state, stopped: null });
      }
      if (!this.inFlight.has(company.cnpj)) this.queue.schedule(company.cnpj, now);
    }
    logger.info({ companies: list.length, enabled: enabled.length, leased: enabled.filter((c) => this.opts.leases.holds(c.cnpj)).length }, 'companies loaded');
  }

  private pump(): void {
    if (this.stopping) return;
    const free = this.opts.maxInFlight - this.inFlight.size;
    if (free > 0) {
      for (const cnpj of this.queue.popDue(this.ctx.clock.now(), free)) this.launch(cnpj);
    }
    this.armWake();
  }

  private launch(cnpj: string): void {
    const company = this.companies.get(cnpj);
    // One step per CNPJ at a time: a second would take the first's in-flight mark for a crash.
    if (company === undefined || this.inFlight.has(cnpj) || !this.opts.leases.holds(cnpj)) return;
    const ctx = this.ctx;
    const run = companyStep(ctx, company)
      .then((result) => this.reschedule(cnpj, result))
      .catch((err: unknown) => {
        const code = err instanceof DfeSyncError ? err.code : 'INTERNAL';
        ctx.logger.error({ cnpj, err, code }, `unexpected error syncing CNPJ ${cnpj}; retrying in ${ERROR_RETRY_MS / 1000} s`);
        if (!this.stopping && this.companies.has(cnpj)) this.queue.schedule(cnpj, ctx.clock.now() + ERROR_RETRY_MS);
      })
      .finally(() => {
        this.inFlight.delete(cnpj);
        if (!this.companies.has(cnpj)) this.guarded('releasing the lease', () => this.opts.leases.release([cnpj]));
        this.pump();
      });
    this.inFlight.set(cnpj, run);
  }

  private reschedule(cnpj: string, { nextAt }: CompanyStepResult): void {
    if (this.stopping || !this.companies.has(cnpj)) return;
    if (this.dirty.delete(cnpj)) {
      this.queue.schedule(cnpj, this.ctx.clock.now());
      return;
    }
    // null: stopped, or nothing the clock can end (a window that never opens): until a reload or new work
    if (nextAt !== null) this.queue.schedule(cnpj, Math.max(nextAt, this.ctx.clock.now()));
  }

  private armWake(): void {
    this.cancelWake?.();
    this.cancelWake = null;
    if ((this.opts.timers ?? 'real') === 'manual' || this.stopping) return;
    const next = this.queue.peek();
    if (next === null || this.inFlight.size >= this.opts.maxInFlight) return;
    this.cancelWake = wakeAt(this.ctx.clock, next.at, () => this.pump());
  }

  /**
   * Housekeeping on a timer must not take the daemon down: a database busy for a moment
   * (another process holding the write lock) or full is logged and tried on the next tick.
   */
  private guarded(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.ctx.logger.error({ err }, `${what} failed; trying again on the next tick: ${(err as Error).message}`);
    }
  }

  /** Schedules now the companies for which another process (`fetch`, `manifest`) queued work. */
  private pickUpQueuedWork(): void {
    this.guarded('looking for queued work', () => {
      const found = this.ctx.store.newWork(this.workMark);
      this.workMark = found.mark;
      for (const cnpj of found.cnpjs) {
        if (!this.companies.has(cnpj) || !this.opts.leases.holds(cnpj)) continue;
        // a step in flight may have read its queues before this work arrived: look again after it
        if (this.inFlight.has(cnpj)) this.dirty.add(cnpj);
        else this.queue.schedule(cnpj, this.ctx.clock.now());
      }
    });
  }

  /** Work another process queued is picked up within seconds. */
  private armWorkWatch(): void {
    const timer = setInterval(() => {
      this.pickUpQueuedWork();
      this.pump();
    }, WORK_WATCH_MS);
    timer.unref();
    this.intervals.push(timer);
  }

  private armRenewal(): void {
    const timer = setInterval(() => {
      this.guarded('renewing leases', () => {
        const lost = this.opts.leases.renew();
        for (const cnpj of lost) this.queue.remove(cnpj);
        // Companies another process held may be free now (it stopped or died).
        const waiting = [...this.companies.keys()].filter((c) => !this.opts.leases.holds(c));
        for (const cnpj of this.opts.leases.acquire(waiting)) this.queue.schedule(cnpj, this.ctx.clock.now());
      });
      this.pump();
    }, this.opts.leases.renewEveryMs);
    timer.unref();
    this.intervals.push(timer);
  }
}
