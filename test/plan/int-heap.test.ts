import assert from "node:assert/strict";
import { it } from "node:test";
import { IntMinHeap } from "../../src/plan/int-heap.ts";

void it("pops in ascending order whatever the push order", () => {
  let seed = 1;
  const values = Array.from({ length: 500 }, () => (seed = (seed * 48271) % 2147483647) % 1000);
  const heap = new IntMinHeap(values.length);
  for (const v of values) heap.push(v);
  assert.equal(heap.size, 500);
  const out: number[] = [];
  for (let v = heap.pop(); v !== undefined; v = heap.pop()) out.push(v);
  assert.deepEqual(out, [...values].sort((a, b) => a - b));
  assert.equal(heap.peek(), undefined);
});

void it("interleaves pushes and pops", () => {
  const heap = new IntMinHeap(4);
  heap.push(5);
  heap.push(2);
  assert.equal(heap.pop(), 2);
  heap.push(9);
  heap.push(1);
  heap.push(7);
  assert.deepEqual([...heap.values()].sort((a, b) => a - b), [1, 5, 7, 9]);
  assert.deepEqual([heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()], [1, 5, 7, 9, undefined]);
});

void it("refuses to grow past its capacity", () => {
  const heap = new IntMinHeap(1);
  heap.push(1);
  assert.throws(() => heap.push(2), /full/);
});
