import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openStore, type Store } from '../../src/store/index.js';
import { company, tempDir, type TestState } from './support.js';

const A = '12345678000195';
const B = '11222333000181';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let store: Store<TestState>;
let file: string;
let clock: ManualClock;
let cleanup: () => void;

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  file = join(t.dir, 'state.db');
  clock = new ManualClock();
  store = openStore<TestState>(file, { clock });
  store.upsertCompanies([company(A), company(B)]);
});
afterEach(() => {
  store.close();
  cleanup();
});

describe('targeted calls (consNSU + consChNFe, 20 per rolling hour)', () => {
  it('counts the calls of one company inside a rolling window, across a restart', () => {
    const start = clock.now();
    for (let i = 0; i < 20; i++) {
      store.recordTargetedCall(A, i % 2 === 0 ? 'consNSU' : 'consChNFe');
      clock.advance(5 * MINUTE);
    }
    store.recordTargetedCall(B, 'consNSU');
    store.close();
    store = openStore<TestState>(file, { clock });
    // now = start + 100 min: the hour back from now holds calls made at 40, 45, ..., 95 min.
    const inLastHour = store.targetedCallsSince(A, clock.now() - HOUR);
    expect(inLastHour).toEqual(Array.from({ length: 12 }, (_, i) => start + (40 + 5 * i) * MINUTE));
    expect(store.targetedCallsSince(A, start)).toHaveLength(20);
    expect(store.targetedCallsSince(B, start)).toEqual([start + 100 * MINUTE]);
  });

  it('uses the given time when the call was reserved earlier than now', () => {
    store.recordTargetedCall(A, 'consChNFe', clock.now() - 10 * MINUTE);
    expect(store.targetedCallsSince(A, clock.now() - HOUR)).toEqual([clock.now() - 10 * MINUTE]);
  });

  it('forgets calls older than a day as new ones come, and only for that company', () => {
    const start = clock.now();
    store.recordTargetedCall(A, 'consNSU');
    store.recordTargetedCall(B, 'consNSU');
    clock.advance(25 * HOUR);
    store.recordTargetedCall(A, 'consNSU');
    expect(store.targetedCallsSince(A, 0)).toEqual([start + 25 * HOUR]);
    expect(store.targetedCallsSince(B, 0)).toEqual([start]);
  });
});
