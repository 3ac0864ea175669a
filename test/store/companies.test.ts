import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openStore, stateColumns, type Store } from '../../src/store/index.js';
import { company, distCall, doc, state, tempDir, type TestState } from './support.js';

const A = '12345678000195';
const B = '11222333000181';
let store: Store<TestState>;
let clock: ManualClock;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  clock = new ManualClock();
  store = openStore<TestState>(join(t.dir, 'state.db'), { clock });
});
afterEach(() => {
  store.close();
  cleanup();
});

describe('companies', () => {
  it('adds a new company with its initial state and the config fields', () => {
    const created = store.upsertCompanies([company(A, state(10, 20, { note: 'kept verbatim' })), company(B)]);
    expect(created.created).toEqual([A, B]);
    const a = store.getCompany(A)!;
    expect(a).toMatchObject({ cnpj: A, name: `Company ${A}`, enabled: true, window: '24h', ultNSU: '000000000000010', maxNSU: '000000000000020', documents: 0, lastCall: null, certificate: null, createdAt: clock.now() });
    expect(a.state).toEqual(state(10, 20, { note: 'kept verbatim' }));
    expect(store.listCompanies().map((c) => c.cnpj)).toEqual([B, A]);
  });

  it('updates name, enabled and window from the config but never resets a stored cursor or wait', () => {
    store.upsertCompany(company(A));
    store.recordCall(A, state(0, 0, { nextDistAt: clock.now() + 3_720_000, nextDistReason: '137' }), distCall(clock.now(), 0, 0));
    clock.advance(1000);
    const created = store.upsertCompany({ cnpj: A, name: 'Renamed', enabled: false, window: '19:00-05:00', initialState: state(999, 999) });
    expect(created).toBe(false);
    const a = store.getCompany(A)!;
    expect(a).toMatchObject({ name: 'Renamed', enabled: false, window: '19:00-05:00', ultNSU: '000000000000000', nextDistAt: clock.now() - 1000 + 3_720_000, nextDistReason: '137', updatedAt: clock.now() });
  });

  it('mirrors the state into its columns with one function, and keeps every other field', () => {
    const s = { ...state(7, 9, { nextDistAt: 1_000, blockedUntil: 2_000, nextDistReason: 'backoff' }), stopped: { code: 'CERT_EXPIRED', message: 'certificate expired' }, failures: 3 };
    expect(stateColumns(A, s)).toEqual({
      rule_state: JSON.stringify(s),
      ultNSU: '000000000000007',
      maxNSU: '000000000000009',
      next_dist_at: 1_000,
      next_dist_reason: 'backoff',
      blocked_until: 2_000,
      stopped: 'certificate expired',
    });
    expect(stateColumns(A, { ...s, stopped: null }).stopped).toBeNull();
  });

  it('refuses a state whose NSU is not 15 digits or whose time is not a number, saving nothing', () => {
    store.upsertCompany(company(A, state(3, 3)));
    expect(() => store.recordCall(A, { ...state(3, 3), ultNSU: '4' }, distCall(clock.now(), 3, 0))).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_STATE', message: expect.stringContaining('"4" is not a 15-digit NSU') }),
    );
    expect(() =>
      store.recordCall(A, { ...state(3, 3), nextDistAt: '2026-11-20T12:00:00Z' as unknown as number }, distCall(clock.now(), 3, 0)),
    ).toThrow(expect.objectContaining({ code: 'STORE_INVALID_STATE' }));
    expect(store.listCalls(A)).toEqual([]);
  });

  it('keeps certificate facts so status needs no password', () => {
    store.upsertCompany(company(A));
    clock.advance(5);
    store.saveCertificateFacts(A, { cnpj: A, subject: 'CN=ACME:12345678000195', notAfter: Date.UTC(2027, 0, 1), file: '/etc/dfe-sync/acme.pfx', mtimeMs: 1234.5 });
    expect(store.getCompany(A)!.certificate).toEqual({
      cnpj: A,
      subject: 'CN=ACME:12345678000195',
      notAfter: Date.UTC(2027, 0, 1),
      file: '/etc/dfe-sync/acme.pfx',
      mtimeMs: 1234.5,
      savedAt: clock.now(),
    });
  });

  it('names the unknown company instead of failing on a foreign key', () => {
    expect(() => store.commitDistBatch(A, { docs: [doc(1)], state: state(1, 1), call: distCall(0, 0, 1) })).toThrow(
      expect.objectContaining({ code: 'STORE_UNKNOWN_COMPANY', message: expect.stringContaining(A) }),
    );
    expect(() => store.recordTargetedCall(A, 'consNSU')).toThrow(expect.objectContaining({ code: 'STORE_UNKNOWN_COMPANY' }));
    expect(() => store.saveCertificateFacts(A, { cnpj: A, subject: '', notAfter: 0, file: '', mtimeMs: 0 })).toThrow(
      expect.objectContaining({ code: 'STORE_UNKNOWN_COMPANY' }),
    );
    expect(store.getCompany(A)).toBeNull();
  });
});
