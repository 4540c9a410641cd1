// A binary min-heap of non-negative integers in a fixed-capacity typed array. The scheduler keys
// items by a precomputed rank, so comparing two entries is comparing two numbers, and a heap of
// 100,000 entries is one 400 KB allocation made once, not a growing array of boxed values.

export class IntMinHeap {
  readonly #a: Int32Array;
  #size = 0;

  constructor(capacity: number) {
    this.#a = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.#size;
  }

  peek(): number | undefined {
    return this.#size === 0 ? undefined : this.#a[0];
  }

  push(v: number): void {
    const a = this.#a;
    // An invariant, not a user error: the scheduler never holds an item twice.
    if (this.#size === a.length) throw new Error("IntMinHeap is full");
    let i = this.#size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pv = a[p] as number;
      if (pv <= v) break;
      a[i] = pv;
      i = p;
    }
    a[i] = v;
  }

  pop(): number | undefined {
    if (this.#size === 0) return undefined;
    const a = this.#a;
    const top = a[0] as number;
    const n = --this.#size;
    if (n === 0) return top;
    const last = a[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (a[r] as number) < (a[l] as number) ? r : l;
      if ((a[c] as number) >= last) break;
      a[i] = a[c] as number;
      i = c;
    }
    a[i] = last;
    return top;
  }

  /** The entries, in no particular order. */
  values(): Int32Array {
    return this.#a.subarray(0, this.#size);
  }
}
