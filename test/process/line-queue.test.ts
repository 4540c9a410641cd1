import { test } from "node:test";
import assert from "node:assert/strict";

import { LineQueue } from "../../src/process/line-queue.ts";

function queue(highWaterMark: number): { q: LineQueue<{ text: string }>; events: string[] } {
  const events: string[] = [];
  const q = new LineQueue<{ text: string }>({ highWaterMark, onPause: () => events.push("pause"), onResume: () => events.push("resume") });
  return { q, events };
}

void test("delivers lines in order, waits for more, and ends after the last", async () => {
  const { q } = queue(100);
  const lines = q[Symbol.asyncIterator]();
  q.push({ text: "a" });
  assert.deepEqual(await lines.next(), { value: { text: "a" }, done: false });
  const waiting = lines.next();
  q.push({ text: "b" });
  assert.deepEqual(await waiting, { value: { text: "b" }, done: false });
  q.push({ text: "c" });
  q.end();
  assert.deepEqual(await lines.next(), { value: { text: "c" }, done: false });
  assert.equal((await lines.next()).done, true);
});

void test("asks the producer to pause past the high-water mark and to resume once half is read", async () => {
  const { q, events } = queue(10);
  const lines = q[Symbol.asyncIterator]();
  for (const text of ["aaaa", "bbbb", "cccc"]) q.push({ text });
  assert.deepEqual(events, ["pause"]);
  await lines.next();
  assert.deepEqual(events, ["pause"], "8 unread is still above half the mark");
  await lines.next();
  assert.deepEqual(events, ["pause", "resume"]);
});

void test("a reader that stops early releases the producer and nothing more is kept", async () => {
  const { q, events } = queue(3);
  q.push({ text: "aaaa" });
  for await (const line of q) {
    assert.equal(line.text, "aaaa");
    break;
  }
  assert.deepEqual(events, ["pause", "resume"]);
  q.push({ text: "bbbb" });
  assert.deepEqual(events, ["pause", "resume"], "lines nobody will read must not pause the producer");
});

void test("lines can be read only once", () => {
  const { q } = queue(10);
  q[Symbol.asyncIterator]();
  assert.throws(() => q[Symbol.asyncIterator](), /only once/);
});
