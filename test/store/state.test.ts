import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { initialCompanyState, type CompanyState } from '../../src/rules/state.js';
import { openStore, type Store } from '../../src/store/index.js';
import { distCall, doc, nsu, tempDir } from './support.js';

const A = '12345678000195';
let store: Store<CompanyState>;
let file: string;
let clock: ManualClock;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  file = join(t.dir, 'state.db');
  clock = new ManualClock();
  store = openStore<CompanyState>(file, { clock });
  store.upsertCompany({ cnpj: A, name: 'ACME', enabled: true, window: '24h', initialState: initialCompanyState() });
});
afterEach(() => {
  store.close();
  cleanup();
});

describe("the rules' CompanyState in the store", () => {
  it('round-trips every field through a restart', () => {
    const s: CompanyState = {
      ...initialCompanyState(),
      ultNSU: nsu(10),
      maxNSU: nsu(10),
      nextDistAt: clock.now() + 3_720_000,
      nextDistReason: 'nothing-left',
      blockedUntil: clock.now() + 100,
      blockedReason: '656',
      failures: 2,
      targetedCalls: [clock.now() - 5, clock.now()],
      answered: true,
      anotherSystem: { at: clock.now(), message: 'another system is querying this CNPJ' },
      stopped: { code: 'CERT_EXPIRED', message: 'the certificate expired on 2026-11-01' },
    };
    store.commitDistBatch(A, { docs: [doc(10)], state: s, call: distCall(clock.now(), 0, 1) });
    store.close();
    store = openStore<CompanyState>(file, { clock });
    const a = store.getCompany(A)!;
    expect(a.state).toEqual(s);
    expect(a).toMatchObject({ nextDistAt: s.nextDistAt, nextDistReason: 'nothing-left', blockedUntil: s.blockedUntil, stopped: 'the certificate expired on 2026-11-01' });
  });

  it('saves a state change without an answer (a distNSU marked in flight before sending)', () => {
    const inFlight: CompanyState = { ...initialCompanyState(), distInFlight: { ultNSU: nsu(0), at: clock.now() } };
    store.saveState(A, inFlight);
    expect(store.getCompany(A)!.state.distInFlight).toEqual({ ultNSU: nsu(0), at: clock.now() });
    expect(store.listCalls(A)).toEqual([]);
  });

  it('refuses to move the cursor without the documents of an answer', () => {
    expect(() => store.saveState(A, { ...initialCompanyState(), ultNSU: nsu(50) })).toThrow(
      expect.objectContaining({ code: 'STORE_STATE_MOVED_CURSOR' }),
    );
    expect(store.getCompany(A)!.ultNSU).toBeNull();
  });
});
