import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { statusOf, type StatusReport } from '../../src/status/index.js';
import { BLOCKED, DRAINING, buildFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let report: StatusReport;

beforeAll(() => {
  fx = buildFixture({ listen: '127.0.0.1:0' });
  report = statusOf(fx.config, fx.clock);
});
afterAll(() => fx.cleanup());

const series = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('Metrics', () => {
  it('keeps its own registry: two instances count apart, the global registry stays empty', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.recordCall('distNSU', '137');
    a.record656(BLOCKED);
    b.recordCall('distNSU', '137');
    b.recordCall('distNSU', '137');
    expect(series(await a.scrape(report))).toContain('dfe_sync_calls_total{op="distNSU",cstat="137"} 1');
    expect(series(await b.scrape(report))).toContain('dfe_sync_calls_total{op="distNSU",cstat="137"} 2');
    expect(series(await b.scrape(report)).some((l) => l.startsWith('dfe_sync_656_total{'))).toBe(false);
    expect(await register.metrics()).not.toContain('dfe_sync_');
  });

  it('counts documents by kind, ignoring empty batches', async () => {
    const m = new Metrics();
    m.recordDocuments('resEvento', 0);
    m.recordDocuments('resNFe', 50);
    m.recordDocuments('resNFe', 7);
    const lines = series(await m.scrape(report));
    expect(lines).toContain('dfe_sync_documents_total{kind="resNFe"} 57');
    expect(lines.some((l) => l.includes('kind="resEvento"'))).toBe(false);
  });

  it('recomputes the gauges from each report: a company gone from the report is gone from the metrics', async () => {
    const m = new Metrics();
    const before = series(await m.scrape(report));
    expect(before).toContain(`dfe_sync_summaries_pending{cnpj="${DRAINING}"} 3`);
    const later = { ...report, companies: report.companies.filter((c) => c.cnpj !== DRAINING).map((c) => (c.cnpj === BLOCKED ? { ...c, queue: 4 } : c)) };
    const after = series(await m.scrape(later));
    expect(after.some((l) => l.includes(`cnpj="${DRAINING}"`))).toBe(false);
    expect(after).toContain(`dfe_sync_queue_length{cnpj="${BLOCKED}",queue="targeted"} 4`);
  });

  it('describes every series for Prometheus (HELP and TYPE)', async () => {
    const text = await new Metrics().scrape(report);
    for (const [name, type] of [
      ['dfe_sync_calls_total', 'counter'],
      ['dfe_sync_documents_total', 'counter'],
      ['dfe_sync_656_total', 'counter'],
      ['dfe_sync_seconds_to_next_call', 'gauge'],
      ['dfe_sync_certificate_days_left', 'gauge'],
      ['dfe_sync_queue_length', 'gauge'],
      ['dfe_sync_summaries_pending', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
      expect(text).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
  });
});
