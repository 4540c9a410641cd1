import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";

import { reapMarked } from "../../src/process/reaper.ts";
import { isProcessAlive } from "../../src/process/process-tree.ts";
import { hermeticEnv, pidsCarrying, readLines, statFields, uniqueMarker } from "./helpers.ts";

void test("reaps marked processes left behind by a supervisor that was killed -9", async () => {
  const marker = uniqueMarker("reap");
  // The throwaway parent plays the dead supervisor's agent: it starts a setsid'd grandchild
  // (as Claude Code's Bash tool does) that reports its pid, and exits at once.
  const parent = spawn("sh", ["-c", `setsid sh -c 'echo $$; exec sleep 1000' &`], {
    env: { ...hermeticEnv(), VIABLE_ATTEMPT_ID: marker },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const parentExited = once(parent, "exit");
  const [pidLine] = await readLines(parent.stdout, 1);
  const orphan = Number(pidLine);
  await parentExited;
  const unrelated = spawn("sleep", ["1000"], { env: hermeticEnv(), stdio: "ignore" });
  try {
    assert.ok(unrelated.pid);
    assert.equal(isProcessAlive(orphan), true);
    assert.equal(statFields(orphan)[3], String(orphan), "the orphan should lead its own session");
    assert.notEqual(statFields(orphan)[1], String(parent.pid), "the orphan should have been re-parented");

    const reaped = await reapMarked([uniqueMarker("not-running"), marker], { graceMs: 200 });

    assert.deepEqual(reaped, [{ pid: orphan, marker, command: "sleep 1000" }]);
    assert.equal(isProcessAlive(orphan), false);
    assert.deepEqual(pidsCarrying(marker), []);
    assert.equal(isProcessAlive(unrelated.pid), true, "an unmarked process was killed");
  } finally {
    unrelated.kill("SIGKILL");
    parent.stdout.destroy();
  }
});

void test("reaping markers that no process carries kills nothing", async () => {
  assert.deepEqual(await reapMarked([uniqueMarker("nothing")], { graceMs: 50 }), []);
  assert.deepEqual(await reapMarked([""], { graceMs: 50 }), []);
});

void test("isProcessAlive tells a running process from one that has exited", async () => {
  assert.equal(isProcessAlive(process.pid), true);
  const child = spawn("sh", ["-c", "exit 0"], { env: hermeticEnv(), stdio: "ignore" });
  await once(child, "exit");
  assert.ok(child.pid);
  assert.equal(isProcessAlive(child.pid), false);
  assert.equal(isProcessAlive(0), false, "pid 0 means our own process group, not a process");
});
