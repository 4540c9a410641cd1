import { test } from "node:test";
import assert from "node:assert/strict";

import { type ProcessInfo, readProcess, selectAttemptProcesses } from "../../src/process/process-tree.ts";

function proc(pid: number, ppid: number, pgid: number, marker?: string, state = "S"): ProcessInfo {
  return { pid, ppid, pgid, sessionId: pgid, state, startTime: String(pid * 10), command: `cmd-${pid}`, marker };
}

// 100 is the attempt's first process; 200 was started by its Bash tool with setsid and then
// re-parented to init; 201 is a child of 200 started with an emptied environment (`env -i`).
const TABLE: ProcessInfo[] = [
  proc(1, 0, 1),
  proc(100, 1, 100, "m"),
  proc(101, 100, 100, "m"),
  proc(102, 101, 100),
  proc(200, 1, 200, "m"),
  proc(201, 200, 200),
  proc(300, 1, 300, "other"),
  proc(301, 300, 300, "other"),
  proc(400, 1, 400, "m", "Z"),
  proc(500, 1, 500),
];

function pids(list: ProcessInfo[]): number[] {
  return list.map((p) => p.pid).sort((a, b) => a - b);
}

void test("the marker finds setsid'd processes, and the ppid tree finds their unmarked children", () => {
  assert.deepEqual(pids(selectAttemptProcesses(TABLE, { markers: ["m"] })), [100, 101, 102, 200, 201]);
});

void test("another attempt's processes and zombies are not selected", () => {
  const selected = pids(selectAttemptProcesses(TABLE, { markers: ["m"] }));
  assert.ok(!selected.includes(300) && !selected.includes(301), "other attempt selected");
  assert.ok(!selected.includes(400), "zombie selected");
});

void test("a process group selects its members and their descendants only", () => {
  assert.deepEqual(pids(selectAttemptProcesses(TABLE, { processGroups: [200] })), [200, 201]);
});

void test("a known process is selected only while its pid still names the same process", () => {
  const seen = proc(500, 1, 500);
  assert.deepEqual(pids(selectAttemptProcesses(TABLE, { known: [seen] })), [500]);
  const reused = { ...seen, startTime: "999" };
  assert.deepEqual(pids(selectAttemptProcesses(TABLE, { known: [reused] })), []);
});

void test("Viable's own process is never selected, even when it carries the marker", () => {
  const table = [...TABLE, proc(process.pid, 100, 100, "m")];
  assert.ok(!selectAttemptProcesses(table, { markers: ["m"] }).some((p) => p.pid === process.pid));
});

void test("reads this process's own entry from /proc", () => {
  const me = readProcess(process.pid);
  assert.equal(me?.ppid, process.ppid);
  assert.match(me?.command ?? "", /node/);
  assert.equal(readProcess(2 ** 22 + 1), undefined);
});
