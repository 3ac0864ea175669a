/**
 * Prometheus metrics on a private registry (two daemons in one process, or a test next to
 * the daemon, must not share counters). Counters are fed by the sync steps as calls
 * happen; gauges are recomputed from the status report at each scrape, so they can never
 * drift from what `status` shows.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { StatusReport } from '../status/index.js';

/** The label of a call that got no answer (timeout, TLS, HTTP error). */
export const NO_CSTAT = 'none';

export class Metrics {
  private readonly registry = new Registry();
  private readonly calls = new Counter({ name: 'dfe_sync_calls_total', help: 'SEFAZ calls by operation and cStat (cstat="none": no answer)', labelNames: ['op', 'cstat'], registers: [this.registry] });
  private readonly documents = new Counter({ name: 'dfe_sync_documents_total', help: 'Documents stored, by kind (resNFe, procNFe, resEvento, procEventoNFe, ...)', labelNames: ['kind'], registers: [this.registry] });
  private readonly rejections656 = new Counter({ name: 'dfe_sync_656_total', help: 'cStat 656 (Consumo Indevido) answers, by CNPJ', labelNames: ['cnpj'], registers: [this.registry] });
  private readonly secondsToNextCall = new Gauge({ name: 'dfe_sync_seconds_to_next_call', help: 'Seconds until the next distNSU may go (0: now); absent when none is planned (stopped, disabled)', labelNames: ['cnpj'], registers: [this.registry] });
  private readonly certificateDaysLeft = new Gauge({ name: 'dfe_sync_certificate_days_left', help: 'Whole days until the certificate expires (negative once expired)', labelNames: ['cnpj'], registers: [this.registry] });
  private readonly queueLength = new Gauge({ name: 'dfe_sync_queue_length', help: 'Work waiting, by queue (targeted: consChNFe/consNSU waiting for the hourly budget)', labelNames: ['cnpj', 'queue'], registers: [this.registry] });
  private readonly summariesPending = new Gauge({ name: 'dfe_sync_summaries_pending', help: 'Keys whose summary is stored but not yet the full XML', labelNames: ['cnpj'], registers: [this.registry] });

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One SEFAZ call; `cStat` null when it got no answer. */
  recordCall(op: string, cStat: string | null): void {
    this.calls.inc({ op, cstat: cStat ?? NO_CSTAT });
  }

  recordDocuments(kind: string, n: number): void {
    if (n > 0) this.documents.inc({ kind }, n);
  }

  record656(cnpj: string): void {
    this.rejections656.inc({ cnpj });
  }

  /** The exposition text, the gauges taken from `report` (companies gone from it disappear). */
  async scrape(report: StatusReport): Promise<string> {
    const now = Date.parse(report.generatedAt);
    const gauges = [this.secondsToNextCall, this.certificateDaysLeft, this.queueLength, this.summariesPending];
    for (const g of gauges) g.reset();
    for (const c of report.companies) {
      const cnpj = c.cnpj;
      if (c.nextDistAt !== null) this.secondsToNextCall.set({ cnpj }, Math.max(0, (Date.parse(c.nextDistAt) - now) / 1000));
      if (c.certificateDaysLeft !== null) this.certificateDaysLeft.set({ cnpj }, c.certificateDaysLeft);
      this.queueLength.set({ cnpj, queue: 'targeted' }, c.queue);
      this.summariesPending.set({ cnpj }, c.summariesPending);
    }
    return this.registry.metrics();
  }
}
