import { test } from "node:test";
import assert from "node:assert/strict";

import { superviseProcess } from "../../src/process/supervise-process.ts";
import { isSettled, readUntil, runToEnd, testSpec, uniqueMarker } from "./helpers.ts";

// Reports each signal it gets and carries on: only SIGKILL can stop it. The foreground `sleep` is in
// the same process group, so each group signal ends the current sleep and the shell runs its trap.
const STUBBORN = `trap 'echo got INT' INT; trap 'echo got TERM' TERM; echo ready; while :; do sleep 1; done`;

void test("a wall-clock timeout escalates SIGINT, SIGTERM, SIGKILL and reports it was forced", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("timeout"), STUBBORN, { timeoutMs: 250, killGraceMs: 100 }));
  const { lines, exit } = await runToEnd(proc);
  // stderr has the shell's own "Terminated" notices for its sleeps.
  assert.deepEqual(lines.filter((l) => l.stream === "stdout").map((l) => l.text), ["ready", "got INT", "got TERM"]);
  assert.equal(exit.termination, "timed_out");
  assert.equal(exit.forced, true);
  assert.equal(exit.signal, "SIGKILL");
  assert.equal(exit.error, "timed out after 250 ms");
  assert.ok(exit.durationMs >= 250 + 2 * 100, `stopped after ${exit.durationMs} ms, before the escalation could finish`);
});

void test("a process that ignores SIGINT and SIGTERM outright is killed", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("ignore"), "trap '' INT TERM; exec sleep 1000", { timeoutMs: 100, killGraceMs: 50 }));
  const { exit } = await runToEnd(proc);
  assert.equal(exit.termination, "timed_out");
  assert.equal(exit.forced, true);
  assert.equal(exit.signal, "SIGKILL");
});

void test("a process that stops on SIGINT is not reported as forced", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("polite"), "echo ready; exec sleep 1000", { timeoutMs: 100 }));
  const { exit } = await runToEnd(proc);
  assert.equal(exit.termination, "timed_out");
  assert.equal(exit.forced, false);
  assert.equal(exit.signal, "SIGINT");
});

void test("output resets the idle timer; silence past it stops the process", async () => {
  const idleTimeoutMs = 300;
  const proc = superviseProcess(testSpec(uniqueMarker("idle"), 'while read l; do echo "$l"; done', { stdin: "pipe", idleTimeoutMs }));
  const lines = proc.lines[Symbol.asyncIterator]();
  const start = performance.now();
  for (let i = 0; performance.now() - start < 2 * idleTimeoutMs; i++) {
    await proc.write(`turn ${i}\n`);
    await readUntil(lines, (t) => t === `turn ${i}`);
  }
  assert.equal(await isSettled(proc.exited), false, "stopped although it kept printing");
  const exit = await proc.exited;
  assert.equal(exit.termination, "idle_timeout");
  assert.equal(exit.error, `no output for ${idleTimeoutMs} ms`);
});

void test("aborting the signal cancels the process", async () => {
  const controller = new AbortController();
  const proc = superviseProcess(testSpec(uniqueMarker("abort"), "echo ready; exec sleep 1000", { signal: controller.signal }));
  await readUntil(proc.lines[Symbol.asyncIterator](), (t) => t === "ready");
  controller.abort(new Error("the user pressed Ctrl-C"));
  const exit = await proc.exited;
  assert.equal(exit.termination, "cancelled");
  assert.equal(exit.signal, "SIGINT");
  assert.equal(exit.error, "cancelled: the user pressed Ctrl-C");
});

void test("an already aborted signal starts nothing", async () => {
  let spawned = false;
  const proc = superviseProcess(testSpec(uniqueMarker("pre-abort"), "echo hi", { signal: AbortSignal.abort(), onSpawn: () => (spawned = true) }));
  const { lines, exit } = await runToEnd(proc);
  assert.equal(proc.pid, undefined);
  assert.equal(spawned, false);
  assert.deepEqual(lines, []);
  assert.equal(exit.termination, "cancelled");
});

void test("terminate() cancels with the caller's reason", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("terminate"), "echo ready; exec sleep 1000"));
  await readUntil(proc.lines[Symbol.asyncIterator](), (t) => t === "ready");
  proc.terminate("superseded by a newer attempt");
  const exit = await proc.exited;
  assert.equal(exit.termination, "cancelled");
  assert.equal(exit.error, "superseded by a newer attempt");
});

void test("the first reason to stop wins", async () => {
  const controller = new AbortController();
  const proc = superviseProcess(testSpec(uniqueMarker("first"), STUBBORN, { killGraceMs: 100, signal: controller.signal }));
  const lines = proc.lines[Symbol.asyncIterator]();
  await readUntil(lines, (t) => t === "ready");
  controller.abort(new Error("first"));
  // "got INT" proves it is being stopped; a later request must not change why.
  await readUntil(lines, (t) => t === "got INT");
  proc.terminate("second");
  const exit = await proc.exited;
  assert.equal(exit.termination, "cancelled");
  assert.equal(exit.error, "cancelled: first");
});

void test("a process that ends in time is reported as exited, whatever the limits", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("in-time"), "echo done", { timeoutMs: 60_000, idleTimeoutMs: 60_000, signal: new AbortController().signal }));
  const { exit } = await runToEnd(proc);
  assert.equal(exit.termination, "exited");
  assert.equal(exit.exitCode, 0);
});
