/**
 * The status page in a real browser (Debian's chromium, driven by playwright-core):
 * what an operator sees, with the script and with it disabled.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { formatCnpj } from '../../src/sefaz/identifiers.js';
import { available } from '../helpers/reference.js';
import { BLOCKED, BLOCKED_UNTIL_SHOWN, DRAINING, EXPIRED, NAMES, buildFixture, memoryLogger, type Fixture } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
/** The one browser API used in page functions (the project compiles without the DOM lib). */
interface BrowserWindow {
  getComputedStyle(element: unknown): { backgroundColor: string };
}
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!available('chromium', existsSync(CHROMIUM)))('the status page in chromium', { timeout: 60_000 }, () => {
  let fx: Fixture;
  let server: HttpServer;
  let token: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    fx = buildFixture({ listen: '127.0.0.1:0' });
    server = await startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
    token = readFileSync(join(fx.config.stateDir, 'http.token'), 'utf8').trim();
    profile = mkdtempSync(join(tmpdir(), 'dfe-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1600, height: 900 } });
  });
  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    fx?.cleanup();
  });

  beforeEach(async () => {
    page = await context.newPage();
    problems = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
  });
  afterEach(async () => {
    await page.close();
  });

  const rows = () => page.locator('#companies tbody tr');
  const visibleCnpjs = async (): Promise<string[]> => (await page.locator('#companies tbody tr:visible td.cnpj').allInnerTexts()).map((t) => t.trim());

  it('shows every company, the blocked one as blocked with its deadline, and runs its script under the CSP', async () => {
    await page.goto(`${server.url}?token=${token}`);
    await expect.poll(() => page.locator('#shown').innerText()).toBe('6 of 6 shown');
    expect(await rows().count()).toBe(6);
    expect(await visibleCnpjs()).toEqual(fx.config.companies.map((c) => formatCnpj(c.cnpj)));

    const blocked = page.locator('tr.blocked');
    expect(await blocked.count()).toBe(1);
    expect(await blocked.locator('td.cnpj').innerText()).toBe(formatCnpj(BLOCKED));
    expect(await blocked.locator('td.next').innerText()).toBe(`blocked by 656 until ${BLOCKED_UNTIL_SHOWN}`);
    // The style (allowed by its hash) is applied: the blocked row stands out.
    expect(await blocked.evaluate((tr) => (globalThis as unknown as BrowserWindow).getComputedStyle(tr).backgroundColor)).toBe('rgb(253, 232, 232)');
    expect(await page.locator(`tr[data-cnpj="${EXPIRED}"] .expired`).innerText()).toBe('expired on 2026-11-18');
    // Markup in a name is shown as text, not interpreted.
    expect(await page.locator('td.name', { hasText: 'Epsilon' }).innerText()).toBe('Epsilon <b>bold</b> & "Cia"');
    expect(await page.locator('td.name b').count()).toBe(0);
    expect(problems).toEqual([]);
    expect(await page.content()).not.toContain(token);
  });

  it('narrows the rows with the filter box (name, CNPJ with or without punctuation, any text), and says when none match', async () => {
    await page.goto(`${server.url}?token=${token}`);
    const filter = page.getByRole('searchbox', { name: 'Filter' });
    await filter.fill('alfa');
    expect(await visibleCnpjs()).toEqual([formatCnpj(DRAINING)]);
    expect(await page.locator('#shown').innerText()).toBe('1 of 6 shown');
    await filter.fill(BLOCKED.slice(0, 8));
    expect(await visibleCnpjs()).toEqual([formatCnpj(BLOCKED)]);
    await filter.fill(formatCnpj(BLOCKED).slice(0, 10));
    expect(await visibleCnpjs()).toEqual([formatCnpj(BLOCKED)]);
    await filter.fill('656');
    expect(await visibleCnpjs()).toEqual([formatCnpj(BLOCKED)]);
    await filter.fill('nobody-has-this');
    expect(await visibleCnpjs()).toEqual([]);
    expect(await page.locator('#none').isVisible()).toBe(true);
    await filter.fill('');
    expect((await visibleCnpjs()).length).toBe(6);
    expect(await page.locator('#none').isVisible()).toBe(false);
  });

  it('reloads itself every 30 s, keeping the token and the filter', async () => {
    await page.clock.install();
    await page.goto(`${server.url}?token=${token}`);
    await page.getByRole('searchbox', { name: 'Filter' }).fill('beta');
    const reloaded = page.waitForRequest((r) => r.isNavigationRequest());
    await page.clock.runFor(30_000);
    const url = new URL((await reloaded).url());
    expect(url.searchParams.get('token')).toBe(token);
    expect(url.searchParams.get('q')).toBe('beta');
    await page.waitForLoadState('load');
    await expect.poll(() => page.locator('#shown').innerText()).toBe('1 of 6 shown');
    expect(await page.getByRole('searchbox', { name: 'Filter' }).inputValue()).toBe('beta');
    expect(await visibleCnpjs()).toEqual([formatCnpj(BLOCKED)]);
  });

  it('shows its data without JavaScript (the filter box, which needs it, stays hidden)', async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await page.goto(`${server.url}?token=${token}&q=alfa`);
    expect(await visibleCnpjs()).toEqual(fx.config.companies.map((c) => formatCnpj(c.cnpj)));
    expect(await page.locator('tr.blocked td.next').innerText()).toBe(`blocked by 656 until ${BLOCKED_UNTIL_SHOWN}`);
    expect(await page.locator('#tools').isVisible()).toBe(false);
    expect(await page.locator('td.name', { hasText: NAMES[DRAINING]! }).count()).toBe(1);
  });

  it('refuses the page without the token', async () => {
    const response = await page.goto(server.url);
    expect(response?.status()).toBe(401);
    expect(await page.locator('body').innerText()).toMatch(/^Unauthorized/);
    expect(await page.locator('body').innerText()).not.toContain(NAMES[DRAINING]!);
  });
});
