import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServerError } from '../../src/http/errors.js';
import { Metrics } from '../../src/http/metrics.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { isLoopback } from '../../src/http/token.js';
import { statusOf } from '../../src/status/index.js';
import { stateDbPath } from '../../src/store/index.js';
import { BLOCKED, BLOCKED_UNTIL_SHOWN, DISABLED, DRAINING, EXPIRED, MARKUP, NAMES, WAITING, buildFixture, memoryLogger, type Fixture } from './fixture.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so that the Host header and the method are the test's to choose. */
function get(url: string, options: { token?: string; method?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.host !== undefined) headers.host = options.host;
    const req = request(url, { method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('status server with auth on (the token made in stateDir)', () => {
  let fx: Fixture;
  let server: HttpServer;
  let token: string;
  let tokenFile: string;
  let log: ReturnType<typeof memoryLogger>;
  const metrics = new Metrics();

  beforeAll(async () => {
    fx = buildFixture({ listen: '127.0.0.1:0' });
    log = memoryLogger();
    server = await startHttpServer({ config: () => fx.config, clock: fx.clock, logger: log.logger, metrics });
    tokenFile = join(fx.config.stateDir, 'http.token');
    token = readFileSync(tokenFile, 'utf8').trim();
  });
  afterAll(async () => {
    await server.close();
    fx.cleanup();
  });

  it('makes the token file once: 0600, 32 random bytes in hex, its path logged but never the token', async () => {
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const lines = log.lines();
    expect(lines.some((l) => l.includes(tokenFile))).toBe(true);
    expect(lines.some((l) => l.includes(token))).toBe(false);
    const again = await startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
    try {
      expect((await get(`${again.url}api/status`, { token })).status).toBe(200);
    } finally {
      await again.close();
    }
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
  });

  it('listens on 127.0.0.1 at the port it was given (0: any)', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it.each(['', 'api/status', 'metrics', 'nowhere'])('refuses /%s without the token, or with a wrong one, with 401', async (path) => {
    for (const attempt of [undefined, 'wrong', `${token}x`, token.slice(0, -1)]) {
      const r = await get(`${server.url}${path}`, attempt === undefined ? {} : { token: attempt });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="dfe-sync"');
      expect(r.body).toMatch(/^Unauthorized/);
      expect(r.body).not.toContain(NAMES[DRAINING]!);
      expect(r.body).not.toContain(token);
    }
  });

  it('serves the page with the Bearer token and with ?token= on its URL', async () => {
    for (const r of [await get(server.url, { token }), await get(`${server.url}?token=${token}`)]) {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      for (const name of [NAMES[DRAINING]!, NAMES[BLOCKED]!, NAMES[WAITING]!, NAMES[DISABLED]!]) expect(r.body).toContain(name);
      expect(r.body).toContain(`blocked by 656 until ${BLOCKED_UNTIL_SHOWN}`);
      expect(r.body).not.toContain(token);
    }
  });

  it('takes ?token= only on the page: the API and the metrics need Authorization: Bearer', async () => {
    expect((await get(`${server.url}api/status?token=${token}`)).status).toBe(401);
    expect((await get(`${server.url}metrics?token=${token}`)).status).toBe(401);
  });

  it('/api/status is exactly statusOf(config, clock), the shape of status --json', async () => {
    const r = await get(`${server.url}api/status`, { token });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body)).toEqual(statusOf(fx.config, fx.clock));
    const blocked = (JSON.parse(r.body) as ReturnType<typeof statusOf>).companies.find((c) => c.cnpj === BLOCKED);
    expect(blocked?.nextReason).toBe('blocked-656');
  });

  it('/metrics has the counters the daemon feeds and the gauges of the report', async () => {
    metrics.recordCall('distNSU', '138');
    metrics.recordCall('distNSU', '138');
    metrics.recordCall('distNSU', '656');
    metrics.recordCall('consChNFe', null);
    metrics.recordDocuments('resNFe', 3);
    metrics.recordDocuments('procNFe', 2);
    metrics.record656(BLOCKED);
    const r = await get(`${server.url}metrics`, { token });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const series = r.body.split('\n').filter((l) => !l.startsWith('#'));
    expect(series).toEqual(
      expect.arrayContaining([
        'dfe_sync_calls_total{op="distNSU",cstat="138"} 2',
        'dfe_sync_calls_total{op="distNSU",cstat="656"} 1',
        'dfe_sync_calls_total{op="consChNFe",cstat="none"} 1',
        'dfe_sync_documents_total{kind="resNFe"} 3',
        'dfe_sync_documents_total{kind="procNFe"} 2',
        `dfe_sync_656_total{cnpj="${BLOCKED}"} 1`,
        `dfe_sync_seconds_to_next_call{cnpj="${DRAINING}"} 0`,
        `dfe_sync_seconds_to_next_call{cnpj="${WAITING}"} 2400`,
        `dfe_sync_certificate_days_left{cnpj="${DRAINING}"} 200`,
        `dfe_sync_certificate_days_left{cnpj="${EXPIRED}"} -3`,
        `dfe_sync_queue_length{cnpj="${BLOCKED}",queue="targeted"} 0`,
        `dfe_sync_summaries_pending{cnpj="${DRAINING}"} 3`,
      ]),
    );
    // The 656 block holds the next call to blockedUntil (or later); a disabled company has none.
    const blocked = series.find((l) => l.startsWith(`dfe_sync_seconds_to_next_call{cnpj="${BLOCKED}"}`));
    expect(Number(blocked?.split(' ')[1])).toBeGreaterThanOrEqual(32 * 60 + 17);
    expect(series.some((l) => l.startsWith(`dfe_sync_seconds_to_next_call{cnpj="${DISABLED}"}`))).toBe(false);
  });

  it('answers HEAD without a body, refuses other methods with 405, unknown paths with 404', async () => {
    const head = await get(server.url, { token, method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await get(`${server.url}api/status`, { token, method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
    expect((await get(`${server.url}api/other`, { token })).status).toBe(404);
  });

  it('sends the security headers: a CSP that allows only the page\'s own script and style, no referrer, no cache', async () => {
    const page = await get(server.url, { token });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    const scriptHash = /script-src ('sha256-[A-Za-z0-9+/=]+')(;|$)/.exec(csp)?.[1];
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)?.[1];
    expect(scriptHash).toBeDefined();
    expect(`'sha256-${createHash('sha256').update(script ?? '').digest('base64')}'`).toBe(scriptHash);
    expect(page.body).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*href=|https?:\/\//);
    for (const r of [page, await get(`${server.url}api/status`, { token }), await get(`${server.url}metrics`, { token }), await get(server.url)]) {
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    }
  });

  it('escapes what the report carries: a name and an xMotivo with markup stay text', async () => {
    const { body } = await get(server.url, { token });
    expect(body).toContain('Epsilon &lt;b&gt;bold&lt;/b&gt; &amp; &quot;Cia&quot;');
    expect(body).toContain('Rejeição: &lt;img src=x onerror=alert(1)&gt;');
    expect(body).not.toContain('<b>bold</b>');
    expect(body).not.toContain('<img');
    expect(body).toContain(`data-cnpj="${MARKUP}"`);
  });

  it('never logs the token, even when it comes in the URL', async () => {
    await get(`${server.url}?token=${token}&q=x`);
    expect(log.lines().some((l) => l.includes(token))).toBe(false);
    expect(log.lines().some((l) => l.includes('"path":"/"'))).toBe(true);
  });
});

describe('status server with the token as a systemd credential', () => {
  it('reads $CREDENTIALS_DIRECTORY/NAME, and refuses to start without that directory', async () => {
    const fx = buildFixture({ listen: '127.0.0.1:0' });
    const config = { ...fx.config, http: { ...fx.config.http, tokenCredential: 'http-token' } };
    const saved = process.env.CREDENTIALS_DIRECTORY;
    try {
      delete process.env.CREDENTIALS_DIRECTORY;
      await expect(startHttpServer({ config: () => config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() }))
        .rejects.toMatchObject({ code: 'HTTP_TOKEN_UNREADABLE', message: expect.stringContaining('CREDENTIALS_DIRECTORY') });
      mkdirSync(join(fx.dir, 'creds'));
      writeFileSync(join(fx.dir, 'creds', 'http-token'), 'from-a-credential\n', { mode: 0o600 });
      process.env.CREDENTIALS_DIRECTORY = join(fx.dir, 'creds');
      const server = await startHttpServer({ config: () => config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
      try {
        expect((await get(`${server.url}api/status`, { token: 'from-a-credential' })).status).toBe(200);
        expect((await get(`${server.url}api/status`)).status).toBe(401);
      } finally {
        await server.close();
      }
    } finally {
      if (saved === undefined) delete process.env.CREDENTIALS_DIRECTORY;
      else process.env.CREDENTIALS_DIRECTORY = saved;
      fx.cleanup();
    }
  });
});

describe('status server with a token file', () => {
  it('reads the token from http.tokenFile, without its trailing newline, and makes no other', async () => {
    const fx = buildFixture({ listen: '127.0.0.1:0', tokenFile: 'secrets/token' });
    mkdirSync(join(fx.dir, 'secrets'));
    writeFileSync(join(fx.dir, 'secrets', 'token'), 'correct-horse-battery\n', { mode: 0o600 });
    const server = await startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
    try {
      expect((await get(`${server.url}api/status`, { token: 'correct-horse-battery' })).status).toBe(200);
      expect((await get(`${server.url}api/status`, { token: 'correct-horse-batter' })).status).toBe(401);
      expect(() => statSync(join(fx.config.stateDir, 'http.token'))).toThrow();
    } finally {
      await server.close();
      fx.cleanup();
    }
  });

  it('refuses to start on a missing, empty or unusable token file, naming the file', async () => {
    const fx = buildFixture({ listen: '127.0.0.1:0', tokenFile: 'token' });
    try {
      const start = () => startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
      await expect(start()).rejects.toMatchObject({ code: 'HTTP_TOKEN_UNREADABLE', message: expect.stringContaining(join(fx.dir, 'token')) });
      writeFileSync(join(fx.dir, 'token'), '\n');
      await expect(start()).rejects.toMatchObject({ code: 'HTTP_TOKEN_EMPTY' });
      writeFileSync(join(fx.dir, 'token'), 'two words\n');
      await expect(start()).rejects.toMatchObject({ code: 'HTTP_TOKEN_INVALID' });
    } finally {
      fx.cleanup();
    }
  });
});

describe('status server with auth off', () => {
  it('answers without a token on loopback, but only to loopback host names (DNS rebinding)', async () => {
    const fx = buildFixture({ listen: '127.0.0.1:0', auth: 'off' });
    const server = await startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
    try {
      expect((await get(`${server.url}api/status`)).status).toBe(200);
      expect((await get(`${server.url}metrics`, { host: `localhost:${server.port}` })).status).toBe(200);
      const rebound = await get(`${server.url}api/status`, { host: `evil.example:${server.port}` });
      expect(rebound.status).toBe(403);
      expect(rebound.body).not.toContain(NAMES[DRAINING]!);
      expect(() => statSync(join(fx.config.stateDir, 'http.token'))).toThrow();
    } finally {
      await server.close();
      fx.cleanup();
    }
  });

  it.each(['0.0.0.0', '[::]', '192.168.10.20', 'status.example.com'])('is refused at start on %s, a non-loopback address', async (host) => {
    const fx = buildFixture({ listen: `${host}:0`, auth: 'off' });
    try {
      const started = startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
      await expect(started).rejects.toBeInstanceOf(HttpServerError);
      await expect(started).rejects.toMatchObject({ code: 'HTTP_AUTH_OFF_NOT_LOOPBACK', message: expect.stringMatching(/http\.auth is off.*http\.auth: on/) });
    } finally {
      fx.cleanup();
    }
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', '']) expect(isLoopback(h)).toBe(false);
  });
});

describe('status server when the state database cannot be read', () => {
  it('answers 500 with a short text, the cause in the log only', async () => {
    const fx = buildFixture({ listen: '127.0.0.1:0', auth: 'off' });
    const broken = join(fx.dir, 'broken');
    mkdirSync(broken);
    writeFileSync(stateDbPath(broken), 'this is not a SQLite database, it is long enough to have a header that does not match');
    const log = memoryLogger();
    const server = await startHttpServer({ config: () => ({ ...fx.config, stateDir: broken }), clock: fx.clock, logger: log.logger, metrics: new Metrics() });
    try {
      for (const path of ['', 'api/status', 'metrics']) {
        const r = await get(`${server.url}${path}`);
        expect(r.status).toBe(500);
        expect(r.body).toBe('Internal Server Error: see the dfe-sync log.\n');
      }
      expect(log.lines().some((l) => l.includes('STORE_OPEN_FAILED') && l.includes('"level":"error"'))).toBe(true);
    } finally {
      await server.close();
      fx.cleanup();
    }
  });
});

describe('status server start failures', () => {
  it('says which address is taken', async () => {
    const fx = buildFixture({ listen: '127.0.0.1:0', auth: 'off' });
    const first = await startHttpServer({ config: () => fx.config, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() });
    try {
      const taken = { ...fx.config, http: { ...fx.config.http, port: first.port } };
      await expect(startHttpServer({ config: () => taken, clock: fx.clock, logger: memoryLogger().logger, metrics: new Metrics() })).rejects.toMatchObject({
        code: 'HTTP_LISTEN_FAILED',
        message: expect.stringContaining(`127.0.0.1:${first.port} (EADDRINUSE)`),
      });
    } finally {
      await first.close();
      fx.cleanup();
    }
  });
});
