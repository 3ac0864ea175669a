/**
 * A min-heap of (time, key): the daemon wakes for the earliest deadline only, instead of
 * polling thousands of companies. Rescheduling a key replaces its entry (the stale one is
 * skipped when it surfaces), so every operation is O(log n).
 */
interface Entry {
  at: number;
  key: string;
  seq: number;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private current = new Map<string, number>();
  private seq = 0;

  get size(): number {
    return this.current.size;
  }

  /** Sets (or moves) the key's deadline. */
  schedule(key: string, at: number): void {
    const seq = ++this.seq;
    this.current.set(key, seq);
    this.push({ at, key, seq });
  }

  remove(key: string): void {
    this.current.delete(key);
  }

  has(key: string): boolean {
    return this.current.has(key);
  }

  /** The earliest live deadline, or null when empty. */
  peek(): { key: string; at: number } | null {
    this.dropStale();
    const top = this.heap[0];
    return top ? { key: top.key, at: top.at } : null;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  popDue(now: number, limit = Infinity): string[] {
    const due: string[] = [];
    while (due.length < limit) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      this.current.delete(top.key);
      due.push(top.key);
    }
    return due;
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top && this.current.get(top.key) !== top.seq; top = this.heap[0]) {
      this.pop();
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
