import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TimerQueue } from '../../src/daemon/timerQueue.js';

describe('TimerQueue', () => {
  it('pops keys in deadline order and only when due', () => {
    const q = new TimerQueue();
    q.schedule('a', 30);
    q.schedule('b', 10);
    q.schedule('c', 20);
    expect(q.peek()).toEqual({ key: 'b', at: 10 });
    expect(q.popDue(5)).toEqual([]);
    expect(q.popDue(20)).toEqual(['b', 'c']);
    expect(q.size).toBe(1);
  });

  it('rescheduling moves a key instead of duplicating it', () => {
    const q = new TimerQueue();
    q.schedule('a', 10);
    q.schedule('a', 50);
    q.schedule('b', 20);
    expect(q.popDue(30)).toEqual(['b']);
    expect(q.popDue(60)).toEqual(['a']);
    q.schedule('c', 5);
    q.remove('c');
    expect(q.peek()).toBeNull();
  });

  it('agrees with a sorted model under random schedules, moves and removals', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom('s', 'r'), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 200 }),
      fc.integer({ min: 0, max: 1000 }),
      (ops, now) => {
        const q = new TimerQueue();
        const model = new Map<string, { at: number; seq: number }>();
        let seq = 0;
        for (const [op, k, at] of ops) {
          const key = `k${k}`;
          if (op === 's') { q.schedule(key, at); model.set(key, { at, seq: ++seq }); }
          else { q.remove(key); model.delete(key); }
        }
        const expected = [...model.entries()]
          .filter(([, v]) => v.at <= now)
          .sort((a, b) => a[1].at - b[1].at || a[1].seq - b[1].seq)
          .map(([k]) => k);
        expect(q.popDue(now)).toEqual(expected);
        expect(q.size).toBe(model.size - expected.length);
      }));
  });
});
