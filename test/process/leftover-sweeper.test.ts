import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";

import { LeftoverSweeper } from "../../src/process/leftover-sweeper.ts";
import { isProcessAlive, type ProcessInfo } from "../../src/process/process-tree.ts";
import { waitFor } from "../support/e2e.ts";
import { hermeticEnv, pidsCarrying, uniqueMarker } from "./helpers.ts";

/** A process that left its attempt's group, as a setsid'd tool does: it carries only the marker. */
function escapee(marker: string, script = "exec sleep 1000"): number {
  const child = spawn("sh", ["-c", script], { env: { ...hermeticEnv(), VIABLE_ATTEMPT_ID: marker }, detached: true, stdio: "ignore" });
  child.unref();
  assert.ok(child.pid);
  return child.pid;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

void test("the markers of ended attempts are swept together, on the timer, while there is something to sweep", async (t) => {
  const [a, b] = [uniqueMarker("sweep-a"), uniqueMarker("sweep-b")];
  t.after(() => {
    for (const pid of [...pidsCarrying(a), ...pidsCarrying(b)]) process.kill(pid, "SIGKILL");
  });
  const pids = [escapee(a), escapee(b)];
  await waitFor(() => pidsCarrying(a).length === 1 && pidsCarrying(b).length === 1, "the escapees to run with their markers");
  const sweeps: (readonly ProcessInfo[])[] = [];
  const sweeper = new LeftoverSweeper({ intervalMs: 20, onSwept: (stopped) => sweeps.push(stopped) });
  sweeper.add(a, 100);
  sweeper.add(b, 100);
  assert.equal(sweeper.unswept, 2);
  await waitFor(() => sweeps.length > 0, "a sweep");
  // One sweep, one read of /proc, for both.
  assert.deepEqual(sweeps.map((s) => s.map((p) => p.pid).sort()), [pids.sort()]);
  assert.equal(sweeper.unswept, 0);
  for (const pid of pids) assert.equal(isProcessAlive(pid), false);
  assert.deepEqual(await sweeper.close(), []);
});

void test("close() sweeps at once: nothing carrying an added marker survives it, SIGTERM ignored or not", async (t) => {
  const marker = uniqueMarker("sweep-close");
  t.after(() => {
    for (const pid of pidsCarrying(marker)) process.kill(pid, "SIGKILL");
  });
  const polite = escapee(marker);
  const stubborn = escapee(marker, "trap '' TERM; exec sleep 1000");
  // Once both are `sleep`, the stubborn one ignores SIGTERM.
  await waitFor(() => [polite, stubborn].every((pid) => commandOf(pid).startsWith("sleep")), "the escapees to exec");
  // The timer would take a minute: only close() can have stopped them.
  const sweeper = new LeftoverSweeper({ intervalMs: 60_000 });
  sweeper.add(marker, 50);
  const stopped = await sweeper.close();
  assert.deepEqual(stopped.map((p) => p.pid).sort(), [polite, stubborn].sort());
  assert.deepEqual(pidsCarrying(marker), []);
  assert.equal(isProcessAlive(stubborn), false);
});

void test("an empty marker is never swept (it would match any process mentioning the variable)", async () => {
  const sweeper = new LeftoverSweeper();
  sweeper.add("", 100);
  assert.equal(sweeper.unswept, 0);
  assert.deepEqual(await sweeper.close(), []);
});
