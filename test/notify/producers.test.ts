import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Config } from '../../src/config/index.js';
import { storeNotify } from '../../src/notify/notify.js';
import { checkNotifications } from '../../src/notify/producers.js';
import { initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import type { CallRecord, Store } from '../../src/store/index.js';
import { accessKey, keyDoc } from '../status/support.js';
import { DAY, HOUR, NOW, cnpj, configFor, deliveryRows, memoryLogger, notificationRows, openTestStore, tempDir } from './support.js';

const ACME = cnpj('111222333000');
const BETA = cnpj('444555666000');
const OFF = cnpj('777888999000');
const MINUTE = 60_000;

const CONTACTS = [
  'contacts:',
  ...['tech:technical', 'fin:financial', 'boss:legal'].flatMap((c) => {
    const [name, role] = c.split(':');
    return [`  - name: ${name}`, `    roles: [${role}]`, `    webhook: { url: "http://127.0.0.1:9/${name}" }`];
  }),
].join('\n');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(extra = '') {
  const { dir, cleanup } = tempDir('producers');
  cleanups.push(cleanup);
  const config = configFor(dir, [{ cnpj: ACME, name: 'Acme Ltda' }, { cnpj: BETA, name: 'Beta SA' }, { cnpj: OFF, name: 'Desligada', enabled: false }], `${CONTACTS}\n${extra}`);
  const clock = new ManualClock(NOW);
  const store = openTestStore(config, clock);
  cleanups.push(() => store.close());
  const log = memoryLogger();
  const ctx = { config, store, clock, notify: storeNotify(() => config, store, () => clock.now(), log.logger), logger: log.logger };
  /** Runs the check every `step` until `until`, as the daemon would every few minutes. */
  const runUntil = (until: number, step = 6 * HOUR) => {
    for (let t = clock.now(); t <= until; t += step) {
      clock.set(t);
      checkNotifications(ctx);
    }
  };
  const notices = (kind: string, cnpjOf = ACME) => notificationRows(config).filter((n) => n.kind === kind && n.cnpj === cnpjOf);
  return { config, clock, store, ctx, log, runUntil, notices };
}

function call(at: number, cStat: string | null, extra: Partial<CallRecord> = {}): CallRecord {
  return { at, op: 'distNSU', requestNSU: '000000000000000', cStat, xMotivo: cStat === '137' ? 'Nenhum documento localizado' : null, docs: 0, ms: 40, ...extra };
}

function answered(store: Store<CompanyState>, who: string, at: number): void {
  store.recordCall(who, { ...initialCompanyState(), answered: true }, call(at, '137'));
}

function certificate(store: Store<CompanyState>, who: string, notAfter: number): void {
  store.saveCertificateFacts(who, { cnpj: who, subject: `CN=ACME:${who}`, notAfter, file: `/etc/dfe-sync/${who}.pfx`, mtimeMs: 1 });
}

function channelsOf(config: Config, key: string): string[] {
  return deliveryRows(config).filter((d) => d.dedupeKey === key).map((d) => d.channel).sort();
}

describe('certificate expiry', () => {
  it('warns once at 30, 15, 7 and 1 days, then once when expired, each when its threshold is crossed', () => {
    const s = setup();
    const notAfter = NOW + 40 * DAY;
    certificate(s.store, ACME, notAfter);
    s.runUntil(notAfter + 3 * DAY);
    const iso = new Date(notAfter).toISOString();
    const got = [...s.notices('certificate-expiring'), ...s.notices('certificate-expired')];
    expect(got.map((n) => [n.dedupeKey, n.createdAt])).toEqual([
      [`cert-expiring:${ACME}:${iso}:30`, notAfter - 30 * DAY],
      [`cert-expiring:${ACME}:${iso}:15`, notAfter - 15 * DAY],
      [`cert-expiring:${ACME}:${iso}:7`, notAfter - 7 * DAY],
      [`cert-expiring:${ACME}:${iso}:1`, notAfter - 1 * DAY],
      [`cert-expired:${ACME}:${iso}`, notAfter],
    ]);
    expect(got[1]!.payload).toMatchObject({ daysLeft: 15, threshold: 15, notAfter: iso, companyName: 'Acme Ltda' });
    expect(got[1]!.payload.message).toBe(
      `The certificate of CNPJ ${ACME} (Acme Ltda) expires in 15 days, on 2026-12-30 12:00: renew it and put the new .pfx at /etc/dfe-sync/${ACME}.pfx: dfe-sync reloads it without a restart`,
    );
    // technical, and legal who gets everything; not financial
    expect(channelsOf(s.config, got[0]!.dedupeKey)).toEqual(['webhook:boss', 'webhook:tech']);
    expect(s.notices('certificate-expiring', BETA)).toEqual([]);
  });

  it('first seen 5 days before expiry: only the 7-day warning, not the missed 30 and 15', () => {
    const s = setup();
    const notAfter = NOW + 5 * DAY;
    certificate(s.store, ACME, notAfter);
    s.runUntil(notAfter + DAY, HOUR);
    expect(s.notices('certificate-expiring').map((n) => n.dedupeKey.split(':').at(-1))).toEqual(['7', '1']);
    expect(s.notices('certificate-expired')).toHaveLength(1);
  });

  it('starts over for a renewed certificate, and says nothing while it is far from expiry', () => {
    const s = setup();
    certificate(s.store, ACME, NOW + 20 * DAY);
    s.runUntil(NOW + DAY);
    expect(s.notices('certificate-expiring')).toHaveLength(1);
    const renewed = NOW + 365 * DAY;
    certificate(s.store, ACME, renewed);
    s.runUntil(NOW + 30 * DAY);
    expect(s.notices('certificate-expiring')).toHaveLength(1);
    s.clock.set(renewed - 29 * DAY);
    checkNotifications(s.ctx);
    expect(s.notices('certificate-expiring').at(-1)!.dedupeKey).toBe(`cert-expiring:${ACME}:${new Date(renewed).toISOString()}:30`);
  });

  it('leaves a disabled company alone', () => {
    const s = setup();
    certificate(s.store, OFF, NOW + DAY);
    s.runUntil(NOW + 70 * DAY, DAY);
    expect(notificationRows(s.config).filter((n) => n.cnpj === OFF)).toEqual([]);
  });
});

describe('silence', () => {
  it('warns technical at silentDays, escalates at 30 and 45 days, then reminds monthly past 60', () => {
    const s = setup();
    answered(s.store, ACME, NOW);
    answered(s.store, BETA, NOW);
    s.runUntil(NOW + 29 * DAY);
    answered(s.store, BETA, s.clock.now()); // Beta is heard of again: its silence starts over
    s.runUntil(NOW + 100 * DAY);
    const since = new Date(NOW).toISOString();
    const got = s.notices('silent');
    expect(got.map((n) => [n.dedupeKey, n.createdAt])).toEqual([
      [`silent:${ACME}:${since}:10`, NOW + 10 * DAY],
      [`silent:${ACME}:${since}:30`, NOW + 30 * DAY],
      [`silent:${ACME}:${since}:45`, NOW + 45 * DAY],
      // the last query has left the 60-day lookback: a reminder per month while it lasts
      [`silent:${ACME}:over-60:2027-01`, NOW + 60 * DAY + 6 * HOUR],
      [`silent:${ACME}:over-60:2027-02`, Date.UTC(2027, 1, 1, 3, 0, 0)], // the first check of February in São Paulo,
    ]);
    expect(got.map((n) => n.payload.escalated)).toEqual([false, true, true, true, true]);
    expect(got[0]!.payload.message).toBe(
      `CNPJ ${ACME} (Acme Ltda) has made no successful SEFAZ query for 10 days (since 2026-11-20 12:00): SEFAZ stops generating NSUs for a CNPJ that makes no query for 60 days, ` +
        'and the documents of that time never reach it. Its last call (distNSU at 2026-11-20 12:00) ended with cStat 137 Nenhum documento localizado: see dfe-sync status',
    );
    expect(channelsOf(s.config, got[1]!.dedupeKey)).toEqual(['webhook:boss', 'webhook:tech']);
    const beta = s.notices('silent', BETA).map((n) => n.dedupeKey);
    expect(beta).toEqual([`silent:${BETA}:${since}:10`, `silent:${BETA}:${new Date(NOW + 29 * DAY).toISOString()}:10`, `silent:${BETA}:${new Date(NOW + 29 * DAY).toISOString()}:30`, expect.stringMatching(/:45$/), expect.stringMatching(/over-60/)]);
  });

  it('counts from the last successful query when the calls since have failed', () => {
    const s = setup();
    answered(s.store, ACME, NOW);
    for (let t = NOW + HOUR; t <= NOW + 11 * DAY; t += HOUR) {
      s.store.recordCall(ACME, { ...initialCompanyState(), answered: true, failures: 1 }, call(t, null, { error: 'TRANSPORT_TIMEOUT' }));
    }
    s.clock.set(NOW + 11 * DAY);
    checkNotifications(s.ctx);
    const [notice] = s.notices('silent');
    expect(notice).toMatchObject({ dedupeKey: `silent:${ACME}:${new Date(NOW).toISOString()}:10` });
    expect(notice!.payload).toMatchObject({ lastQueryAt: new Date(NOW).toISOString(), days: 11, threshold: 10 });
    expect(notice!.payload.message).toMatch(/Its last call \(distNSU at 2026-12-01 12:00\) ended with TRANSPORT_TIMEOUT: see dfe-sync status$/);
  });

  it('counts a company never answered from when it was added', () => {
    const s = setup();
    s.runUntil(NOW + 10 * DAY);
    const [notice] = s.notices('silent');
    expect(notice!.payload).toMatchObject({ lastQueryAt: null, days: 10 });
    expect(notice!.payload.message).toMatch(/for 10 days \(since it was added on 2026-11-20 12:00\).*No call was made for it yet/);
  });

  it('escalates for a suspended company too, saying how to reactivate it', () => {
    const s = setup();
    answered(s.store, ACME, NOW);
    s.store.suspend(ACME, 'monthly limit of 100 calls reached', '2026-11-21', NOW + HOUR);
    s.runUntil(NOW + 46 * DAY);
    const got = s.notices('silent');
    expect(got.map((n) => n.payload.threshold)).toEqual([10, 30, 45]);
    expect(got[2]!.payload.message).toContain(
      `Its capture is suspended (monthly limit of 100 calls reached): reactivate it with dfe-sync reactivate --config ${s.config.file} --cnpj ${ACME}`,
    );
  });

  it('uses notifications.silentDays', () => {
    const s = setup('notifications: { silentDays: 3 }');
    answered(s.store, ACME, NOW);
    s.runUntil(NOW + 31 * DAY);
    expect(s.notices('silent').map((n) => n.payload.threshold)).toEqual([3, 30]);
    expect(s.notices('silent')[0]!.createdAt).toBe(NOW + 3 * DAY);
  });
});

describe('documents arrived', () => {
  function arrivals(extra: string) {
    const s = setup(extra);
    let nsu = 0;
    const batch = (at: number, n: number) => {
      s.clock.set(at);
      const requestNSU = String(nsu).padStart(15, '0');
      const docs = Array.from({ length: n }, () => keyDoc(++nsu, accessKey(nsu), 'resNFe'));
      const state = { ...initialCompanyState(), ultNSU: String(nsu).padStart(15, '0'), maxNSU: String(nsu).padStart(15, '0'), answered: true };
      s.store.commitDistBatch(ACME, { docs, state, call: call(at, '138', { docs: n, requestNSU }) });
    };
    const hour = NOW; // 15:00 UTC, 12:00 in São Paulo
    batch(hour + 10 * MINUTE, 3);
    batch(hour + 40 * MINUTE, 2);
    batch(hour + HOUR + 5 * MINUTE, 1);
    return { s, hour };
  }

  it('sends one notice per company and hour once the hour has ended, with the count', () => {
    const { s, hour } = arrivals('notifications: { documentsArrived: true }');
    s.clock.set(hour + 50 * MINUTE);
    checkNotifications(s.ctx);
    expect(s.notices('documents-arrived')).toEqual([]);
    s.runUntil(hour + 3 * HOUR, 5 * MINUTE);
    const got = s.notices('documents-arrived');
    expect(got.map((n) => [n.dedupeKey, n.payload.documents, n.createdAt])).toEqual([
      [`docs:${ACME}:2026-11-20T15`, 5, hour + HOUR],
      [`docs:${ACME}:2026-11-20T16`, 1, hour + 2 * HOUR],
    ]);
    expect(got[0]!.payload.message).toBe(`5 documents arrived for CNPJ ${ACME} (Acme Ltda) between 2026-11-20 12:00 and 13:00`);
    expect(channelsOf(s.config, got[0]!.dedupeKey)).toEqual(['webhook:boss', 'webhook:fin', 'webhook:tech']);
  });

  it('sends nothing unless notifications.documentsArrived is on', () => {
    const { s, hour } = arrivals('');
    s.runUntil(hour + 3 * HOUR, 5 * MINUTE);
    expect(s.notices('documents-arrived')).toEqual([]);
  });
});

describe('full NF-e missing after the ciência', () => {
  it('tells each key once, batched by the hour its wait ran out, and not a key whose XML came', () => {
    const s = setup('notifications: { fullMissingHours: 48 }');
    const [k1, k2, k3, k4] = [1, 2, 3, 4].map((n) => accessKey(n));
    const state = (n: number) => ({ ...initialCompanyState(), ultNSU: String(n).padStart(15, '0'), maxNSU: String(n).padStart(15, '0'), answered: true });
    s.store.commitDistBatch(ACME, { docs: [k1!, k2!, k3!, k4!].map((k, i) => keyDoc(i + 1, k, 'resNFe')), state: state(4), call: call(NOW, '138', { docs: 4 }), autoManifest: true });
    const register = (k: string, at: number) =>
      s.store.finishManifestations(ACME, [{ key: { chNFe: k, tpEvento: '210210', nSeqEvento: 1 }, result: { state: 'done', outcome: 'registered', cStat: '135', nProt: '1' } }], at);
    register(k1!, NOW);
    register(k2!, NOW + 20 * MINUTE);
    register(k3!, NOW + 10 * MINUTE);
    register(k4!, NOW + 2 * HOUR);
    s.clock.set(NOW + 3 * HOUR);
    s.store.commitDistBatch(ACME, { docs: [keyDoc(5, k3!, 'procNFe')], state: state(5), call: call(NOW + 3 * HOUR, '138', { docs: 1, requestNSU: state(4).ultNSU }) });

    s.runUntil(NOW + 48 * HOUR + 55 * MINUTE, 5 * MINUTE);
    expect(s.notices('full-missing')).toEqual([]);
    s.runUntil(NOW + 52 * HOUR, 5 * MINUTE);
    const got = s.notices('full-missing');
    expect(got.map((n) => [n.dedupeKey, (n.payload.keys as { chNFe: string }[]).map((k) => k.chNFe), n.createdAt])).toEqual([
      [`full-missing:${ACME}:2026-11-22T15`, [k1, k2], NOW + 49 * HOUR],
      [`full-missing:${ACME}:2026-11-22T17`, [k4], NOW + 51 * HOUR],
    ]);
    expect(got[0]!.payload.message).toBe(
      `2 full NF-e of CNPJ ${ACME} (Acme Ltda) still missing 48 hours after the Ciência da Operação was registered (${k1}, ${k2}): ` +
        `see dfe-sync pending --config ${s.config.file} --cnpj ${ACME}`,
    );
  });
});

describe('robustness', () => {
  it('a producer that fails is logged and the others still run', () => {
    const s = setup();
    certificate(s.store, ACME, NOW + DAY);
    const broken = { ...s.ctx, store: Object.assign(Object.create(s.store) as Store<CompanyState>, { pendingSummaries: () => { throw new Error('database is locked'); } }) };
    checkNotifications(broken);
    expect(s.notices('certificate-expiring')).toHaveLength(1);
    expect(s.log.lines.some((l) => l.level === 'error' && String(l.msg).startsWith('notifications: checking full NF-e missing failed'))).toBe(true);
  });
});
