import { describe, expect, it } from 'vitest';
import { initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import { distCall, doc, nsu, useTempStore } from './support.js';

const A = '12345678000195';
const db = useTempStore<CompanyState>((s) => s.upsertCompany({ cnpj: A, name: 'ACME', enabled: true, window: '24h', initialState: initialCompanyState() }));

describe("the rules' CompanyState in the store", () => {
  it('round-trips every field through a restart', () => {
    const s: CompanyState = {
      ...initialCompanyState(),
      ultNSU: nsu(10),
      maxNSU: nsu(10),
      nextDistAt: db.clock.now() + 3_720_000,
      nextDistReason: 'nothing-left',
      blockedUntil: db.clock.now() + 100,
      blockedReason: '656',
      failures: 2,
      targetedCalls: [db.clock.now() - 5, db.clock.now()],
      answered: true,
      anotherSystem: { at: db.clock.now(), message: 'another system is querying this CNPJ' },
      stopped: { code: 'CERT_EXPIRED', message: 'the certificate expired on 2026-11-01' },
    };
    db.store.commitDistBatch(A, { docs: [doc(10)], state: s, call: distCall(db.clock.now(), 0, 1) });
    db.reopen();
    const a = db.store.getCompany(A)!;
    expect(a.state).toEqual(s);
    expect(a).toMatchObject({ nextDistAt: s.nextDistAt, nextDistReason: 'nothing-left', blockedUntil: s.blockedUntil, stopped: 'the certificate expired on 2026-11-01' });
  });

  it('saves a state change without an answer (a distNSU marked in flight before sending)', () => {
    const inFlight: CompanyState = { ...initialCompanyState(), distInFlight: { ultNSU: nsu(0), at: db.clock.now() } };
    db.store.saveState(A, inFlight);
    expect(db.store.getCompany(A)!.state.distInFlight).toEqual({ ultNSU: nsu(0), at: db.clock.now() });
    expect(db.store.listCalls(A)).toEqual([]);
  });

  it('refuses to move the cursor without the documents of an answer', () => {
    expect(() => db.store.saveState(A, { ...initialCompanyState(), ultNSU: nsu(50) })).toThrow(
      expect.objectContaining({ code: 'STORE_STATE_MOVED_CURSOR' }),
    );
    expect(db.store.getCompany(A)!.ultNSU).toBeNull();
  });
});
