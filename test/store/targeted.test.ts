import { describe, expect, it } from 'vitest';
import { company, useTempStore, type TestState } from './support.js';

const A = '12345678000195';
const B = '11222333000181';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const db = useTempStore<TestState>((s) => s.upsertCompanies([company(A), company(B)]));

describe('targeted calls (consNSU + consChNFe, 20 per rolling hour)', () => {
  it('counts the calls of one company inside a rolling window, across a restart', () => {
    const start = db.clock.now();
    for (let i = 0; i < 20; i++) {
      db.store.recordTargetedCall(A, i % 2 === 0 ? 'consNSU' : 'consChNFe');
      db.clock.advance(5 * MINUTE);
    }
    db.store.recordTargetedCall(B, 'consNSU');
    db.reopen();
    // now = start + 100 min: the hour back from now holds calls made at 40, 45, ..., 95 min.
    const inLastHour = db.store.targetedCallsSince(A, db.clock.now() - HOUR);
    expect(inLastHour).toEqual(Array.from({ length: 12 }, (_, i) => start + (40 + 5 * i) * MINUTE));
    expect(db.store.targetedCallsSince(A, start)).toHaveLength(20);
    expect(db.store.targetedCallsSince(B, start)).toEqual([start + 100 * MINUTE]);
  });

  it('uses the given time when the call was reserved earlier than now', () => {
    db.store.recordTargetedCall(A, 'consChNFe', db.clock.now() - 10 * MINUTE);
    expect(db.store.targetedCallsSince(A, db.clock.now() - HOUR)).toEqual([db.clock.now() - 10 * MINUTE]);
  });

  it('forgets calls older than a day as new ones come, and only for that company', () => {
    const start = db.clock.now();
    db.store.recordTargetedCall(A, 'consNSU');
    db.store.recordTargetedCall(B, 'consNSU');
    db.clock.advance(25 * HOUR);
    db.store.recordTargetedCall(A, 'consNSU');
    expect(db.store.targetedCallsSince(A, 0)).toEqual([start + 25 * HOUR]);
    expect(db.store.targetedCallsSince(B, 0)).toEqual([start]);
  });
});
