import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { PAGE_CSP, renderStatusPage } from '../../src/http/page.js';
import { formatCnpj } from '../../src/sefaz/identifiers.js';
import { statusOf, type CompanyStatus, type StatusReport } from '../../src/status/index.js';
import { BLOCKED, BLOCKED_UNTIL_SHOWN, DRAINING, EXPIRED, WAITING, buildFixture, type Fixture } from './fixture.js';

let fx: Fixture;
let report: StatusReport;

beforeAll(() => {
  fx = buildFixture({ listen: '127.0.0.1:0' });
  report = statusOf(fx.config, fx.clock);
});
afterAll(() => fx.cleanup());

/** The <tr> of one CNPJ, as HTML. */
function rowOf(page: string, cnpj: string): string {
  const m = new RegExp(`<tr class="([^"]*)" data-cnpj="${cnpj}">([\\s\\S]*?)</tr>`).exec(page);
  if (m === null) throw new Error(`no row for ${cnpj}`);
  return m[0];
}

const withCompany = (r: StatusReport, cnpj: string, extra: Record<string, unknown>): StatusReport => ({
  ...r,
  companies: r.companies.map((c) => (c.cnpj === cnpj ? ({ ...c, ...extra } as CompanyStatus) : c)),
});

describe('the status page', () => {
  it('has one row per company of the report, in its order', () => {
    const page = renderStatusPage(report, fx.config);
    const rows = [...page.matchAll(/<tr class="[^"]*" data-cnpj="([^"]+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(report.companies.map((c) => c.cnpj));
  });

  it('marks the 656-blocked row with a class and the deadline in words, local time, never before the minute shown', () => {
    const row = rowOf(renderStatusPage(report, fx.config), BLOCKED);
    expect(row).toMatch(/^<tr class="company blocked[ "]/);
    expect(row).toContain(`blocked by 656 until ${BLOCKED_UNTIL_SHOWN}`);
    expect(rowOf(renderStatusPage(report, fx.config), DRAINING)).not.toContain('blocked');
  });

  it('shows each row\'s cursor, last answer in words, next call and why, budget and certificate', () => {
    const page = renderStatusPage(report, fx.config);
    const draining = rowOf(page, DRAINING);
    expect(draining).toContain('3 of 300');
    expect(draining).toContain('<span class="cstat">138</span> Documento(s) localizado(s)');
    expect(draining).toContain('now: draining from ultNSU');
    expect(draining).toContain('11:50 distNSU');
    expect(draining).toContain('0 / 19');
    expect(draining).toContain(`${formatCnpj(DRAINING)}</span><br>200 days left (2027-06-08)`);
    const waiting = rowOf(page, WAITING);
    expect(waiting).toContain('waiting 1 h after 137');
    expect(waiting).toContain('0 / 10');
    expect(rowOf(page, EXPIRED)).toContain('<span class="expired">expired on 2026-11-18</span>');
  });

  it('shows documents today, monthly usage against the limit, suspension and any new report field when the report has them', () => {
    const limited: Config = {
      ...fx.config,
      companies: fx.config.companies.map((c) => (c.cnpj === WAITING ? { ...c, monthlyLimit: { calls: 500, notify: true, suspend: false, reactivateAtPeriodStart: false, periodStartDay: 21 } } : c)),
    };
    expect(rowOf(renderStatusPage(report, limited), WAITING)).toContain('<td class="num usage">0 / 500</td>');
    expect(rowOf(renderStatusPage(report, limited), DRAINING)).toContain('<td class="num usage">0 calls</td>');
    expect(renderStatusPage(report, fx.config)).not.toContain('<th>More</th>');

    const grown = withCompany(report, DRAINING, { documentsToday: 2, monthlyUsage: { calls: 950, limit: 1000 }, suspended: true, somethingNew: 'a<b' });
    const page = renderStatusPage(grown, limited);
    const row = rowOf(page, DRAINING);
    expect(row).toContain('2 today<br>3 total');
    expect(row).toContain('950 / 1000');
    expect(row).toMatch(/^<tr class="[^"]*\bsuspended\b/);
    expect(row).toContain('<td class="capture">suspended</td>');
    expect(page).toContain('<th>More</th>');
    expect(row).toContain('somethingNew: a&lt;b');
    expect(rowOf(renderStatusPage(withCompany(report, WAITING, { monthlyUsage: 120 }), limited), WAITING)).toContain('120 / 500');
  });

  it('carries no secret: no password source, no contact, no token', () => {
    const page = renderStatusPage(report, fx.config);
    for (const c of fx.config.companies) {
      const source = c.certificate.password;
      expect(page).not.toContain(source.from === 'file' ? source.path : source.name);
    }
    expect(page).not.toMatch(/token/i);
  });

  it('escapes every text the report carries, whatever it holds', () => {
    const stringFields = ['name', 'window', 'lastXMotivo', 'next', 'lastOp', 'lastCStat'] as const;
    const baseline = (page: string) => [...page].filter((ch) => ch === '<' || ch === '>' || ch === '"').length;
    const plain = baseline(renderStatusPage(withCompany(report, DRAINING, Object.fromEntries(stringFields.map((k) => [k, 'x']))), fx.config));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '"', "'", '&', 'a', ' ', '/', '=', 'é') }), (text) => {
        const evil = withCompany(report, DRAINING, { ...Object.fromEntries(stringFields.map((k) => [k, text])), problems: [text] });
        const page = renderStatusPage(evil, fx.config);
        // the problem adds <ul class="problems"><li>…</li></ul>: 8 angle brackets and 2 quotes
        expect(baseline(page)).toBe(plain + 10);
      }),
      { numRuns: 200 },
    );
  });

  it('allows exactly its own inline script and style in the CSP, by hash', () => {
    expect(PAGE_CSP).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });

  it('formats CNPJs, numeric and alphanumeric', () => {
    expect(formatCnpj('11222333000181')).toBe('11.222.333/0001-81');
    expect(formatCnpj('12ABC34501DE35')).toBe('12.ABC.345/01DE-35');
    expect(formatCnpj('123')).toBe('123');
  });
});
