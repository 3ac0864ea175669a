import { describe, expect, it } from 'vitest';
import { stateColumns } from '../../src/store/index.js';
import { company, distCall, doc, state, useTempStore, type TestState } from './support.js';

const A = '12345678000195';
const B = '11222333000181';
const db = useTempStore<TestState>();

describe('companies', () => {
  it('adds a new company with its initial state and the config fields', () => {
    const created = db.store.upsertCompanies([company(A, state(10, 20, { note: 'kept verbatim' })), company(B)]);
    expect(created.created).toEqual([A, B]);
    const a = db.store.getCompany(A)!;
    expect(a).toMatchObject({ cnpj: A, name: `Company ${A}`, enabled: true, window: '24h', ultNSU: '000000000000010', maxNSU: '000000000000020', documents: 0, lastCall: null, certificate: null, createdAt: db.clock.now() });
    expect(a.state).toEqual(state(10, 20, { note: 'kept verbatim' }));
    expect(db.store.listCompanies().map((c) => c.cnpj)).toEqual([B, A]);
  });

  it('updates name, enabled and window from the config but never resets a stored cursor or wait', () => {
    db.store.upsertCompany(company(A));
    db.store.recordCall(A, state(0, 0, { nextDistAt: db.clock.now() + 3_720_000, nextDistReason: '137' }), distCall(db.clock.now(), 0, 0));
    db.clock.advance(1000);
    const created = db.store.upsertCompany({ cnpj: A, name: 'Renamed', enabled: false, window: '19:00-05:00', initialState: state(999, 999) });
    expect(created).toBe(false);
    const a = db.store.getCompany(A)!;
    expect(a).toMatchObject({ name: 'Renamed', enabled: false, window: '19:00-05:00', ultNSU: '000000000000000', nextDistAt: db.clock.now() - 1000 + 3_720_000, nextDistReason: '137', updatedAt: db.clock.now() });
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
    db.store.upsertCompany(company(A, state(3, 3)));
    expect(() => db.store.recordCall(A, { ...state(3, 3), ultNSU: '4' }, distCall(db.clock.now(), 3, 0))).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_STATE', message: expect.stringContaining('"4" is not a 15-digit NSU') }),
    );
    expect(() =>
      db.store.recordCall(A, { ...state(3, 3), nextDistAt: '2026-11-20T12:00:00Z' as unknown as number }, distCall(db.clock.now(), 3, 0)),
    ).toThrow(expect.objectContaining({ code: 'STORE_INVALID_STATE' }));
    expect(db.store.listCalls(A)).toEqual([]);
  });

  it('keeps certificate facts so status needs no password', () => {
    db.store.upsertCompany(company(A));
    db.clock.advance(5);
    db.store.saveCertificateFacts(A, { cnpj: A, subject: 'CN=ACME:12345678000195', notAfter: Date.UTC(2027, 0, 1), file: '/etc/dfe-sync/acme.pfx', mtimeMs: 1234.5 });
    expect(db.store.getCompany(A)!.certificate).toEqual({
      cnpj: A,
      subject: 'CN=ACME:12345678000195',
      notAfter: Date.UTC(2027, 0, 1),
      file: '/etc/dfe-sync/acme.pfx',
      mtimeMs: 1234.5,
      savedAt: db.clock.now(),
    });
  });

  it('names the unknown company instead of failing on a foreign key', () => {
    expect(() => db.store.commitDistBatch(A, { docs: [doc(1)], state: state(1, 1), call: distCall(0, 0, 1) })).toThrow(
      expect.objectContaining({ code: 'STORE_UNKNOWN_COMPANY', message: expect.stringContaining(A) }),
    );
    expect(() => db.store.recordTargetedCall(A, 'consNSU')).toThrow(expect.objectContaining({ code: 'STORE_UNKNOWN_COMPANY' }));
    expect(() => db.store.saveCertificateFacts(A, { cnpj: A, subject: '', notAfter: 0, file: '', mtimeMs: 0 })).toThrow(
      expect.objectContaining({ code: 'STORE_UNKNOWN_COMPANY' }),
    );
    expect(db.store.getCompany(A)).toBeNull();
  });
});
