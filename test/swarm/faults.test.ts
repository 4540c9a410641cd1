// A distributed loop under faults: a worker killed with -9 mid-attempt, the coordinator killed with
// -9, the Postgres server restarted mid-run, and `viable stop` reaching an agent on a worker. Every
// item is merged exactly once, and no agent process outlives its machine's worker.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { importPlan, startLoop } from "../loop/support.ts";
import { viable } from "../support/cli.ts";
import { blockingAgent, isRunning, waitFor } from "../support/e2e.ts";
import { restartableDatabase, testDatabase } from "../support/postgres.ts";
import { swarmProject } from "./support.ts";

const WRITE = `printf '%s\\n' "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"\n`;

/** Blocks the first try at item `slow` (recording its processes in `pids`), then writes like every other item. */
function slowOnce(sig: (n: string) => string): string {
  return `if [ "$VIABLE_ITEM_ID" = slow ] && [ ! -e '${sig("slow-once")}' ]; then touch '${sig("slow-once")}'; ${blockingAgent(sig("slow-pids"))}; fi\n${WRITE}`;
}

function pidsOf(file: string): number[] {
  return fs.readFileSync(file, "utf8").trim().split(" ").slice(0, 3).map(Number);
}

const items = (n: number, extra: { id: string; description: string; dependencies?: string[] }[] = []) => [
  ...Array.from({ length: n }, (_, i) => ({ id: `i${i + 1}`, description: `write i${i + 1}.txt` })), ...extra,
];

void test("kill -9 of a worker mid-attempt: the job is retried on another worker after its heartbeat expires; merged once; the machine's leftovers are reaped", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, items(4, [{ id: "slow", description: "write slow.txt" }]), url);
  s.p.script(slowOnce((n) => s.p.sig(n)));
  assert.equal((await importPlan(s.p)).code, 0);
  const workers = [s.worker("m1"), s.worker("m2")];
  const loop = startLoop(s.p.dir);
  const pidFile = s.p.sig("slow-pids");
  await waitFor(() => fs.existsSync(pidFile), "the slow item's first try", 90_000).catch((e: unknown) => {
    throw new Error(`${String(e)}; workers: ${JSON.stringify(workers.map((w) => w.lines))}; loop: ${JSON.stringify(loop.events.slice(-10))}`);
  });
  const holder = workers.find((w) => w.lines.some((l) => l.startsWith("▶ slow")))!;
  assert.ok(holder, JSON.stringify(workers.map((w) => w.lines)));
  holder.kill("SIGKILL");
  const run = await loop.done;
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
  assert.equal(s.p.git("show", "main:slow.txt"), "slow\n");
  const commits = s.p.sessionCommits();
  assert.equal(commits.length, 5);
  assert.equal(new Set(commits).size, 5);
  const other = workers.find((w) => w !== holder)!;
  assert.ok(other.lines.some((l) => l.startsWith("✓ slow")), other.lines.join("\n"));
  // The killed worker's agent is still running on its machine until a worker starts there again.
  const [shell] = pidsOf(pidFile);
  assert.ok(pidsOf(pidFile).every(isRunning), "the killed worker's agent outlived it");
  const again = s.worker(holder === workers[0] ? "m1" : "m2");
  await waitFor(() => pidsOf(pidFile).every((p) => !isRunning(p)), `the orphaned agent (pid ${shell}) reaped by the machine's next worker`, 60_000);
  await waitFor(() => again.lines.some((l) => l.startsWith("reconciled")), "the restarted worker's reconciliation line").catch(async (e: unknown) => {
    again.kill("SIGTERM");
    const r = await again.done;
    throw new Error(`${String(e)}\n${again.lines.join("\n")}\n${r.stderr}`);
  });
});

void test("kill -9 of the coordinator: a new one takes up the same jobs where they are, and nothing is merged twice", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, items(6, [{ id: "slow", description: "write slow.txt" }]), url);
  // The slow item's only try waits for the test, on its worker, across the coordinator's death.
  s.p.script(`if [ "$VIABLE_ITEM_ID" = slow ]; then touch '${s.p.sig("slow-started")}'; while [ ! -e '${s.p.sig("release")}' ]; do sleep 0.05; done; fi\n${WRITE}`);
  assert.equal((await importPlan(s.p)).code, 0);
  const workers = [s.worker("m1", "--concurrency", "3"), s.worker("m2", "--concurrency", "3")];
  const first = startLoop(s.p.dir);
  await waitFor(() => fs.existsSync(s.p.sig("slow-started")) && first.events.filter((e) => e.type === "item_passed").length >= 2, "two items merged and the slow one running", 90_000);
  first.child.kill("SIGKILL");
  await first.done.catch(() => undefined);
  const second = startLoop(s.p.dir);
  await waitFor(() => second.events.some((e) => e.type === "loop_started"), "the second coordinator started");
  fs.writeFileSync(s.p.sig("release"), "");
  const run = await second.done;
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
  const commits = s.p.sessionCommits();
  assert.equal(commits.length, 7, commits.join("\n"));
  assert.equal(new Set(commits.map((c) => c.replace(/ \(.*$/, ""))).size, 7, commits.join("\n"));
  // The slow item's job was taken up, not sent again: one try, on one worker, merged as attempt 1.
  const tries = workers.flatMap((w) => w.lines.filter((l) => l.startsWith("▶ slow")));
  assert.deepEqual(tries, ["▶ slow (attempt 1, try 1)"]);
  assert.ok(run.of("item_passed").some((e) => e.item === "slow" && e.attempt === 1), run.stdout.slice(-2000));
});

void test("Postgres restarted mid-run: workers and the coordinator reconnect and go on", async (t) => {
  const { cluster, url } = await restartableDatabase(t);
  const s = swarmProject(t, items(10), url);
  s.p.script(`sleep 0.3\n${WRITE}`);
  assert.equal((await importPlan(s.p)).code, 0);
  s.worker("m1", "--concurrency", "2");
  s.worker("m2", "--concurrency", "2");
  const loop = startLoop(s.p.dir);
  await waitFor(() => loop.events.filter((e) => e.type === "item_passed").length >= 2, "two items merged", 90_000);
  await cluster.restart({ downMs: 2000 });
  const run = await loop.done;
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
  assert.equal(new Set(s.p.sessionCommits()).size, 10);
  assert.equal(s.p.sessionCommits().length, 10);
});

void test("viable stop on the coordinator's project stops the agent on the worker running it within seconds", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, [{ id: "slow", description: "write slow.txt" }], url);
  s.p.script(slowOnce((n) => s.p.sig(n)));
  assert.equal((await importPlan(s.p)).code, 0);
  const w = s.worker("m1");
  const loop = startLoop(s.p.dir);
  await waitFor(() => fs.existsSync(s.p.sig("slow-pids")), "the agent running on the worker", 90_000);
  const stopped = await viable(["stop", "-d", s.p.dir]);
  assert.equal(stopped.code, 0, stopped.stderr);
  const pids = pidsOf(s.p.sig("slow-pids"));
  await waitFor(() => pids.slice(0, 2).every((p) => !isRunning(p)), "the agent's process group stopped on the worker", 60_000);
  const run = await loop.done;
  assert.notEqual(run.code, 0);
  assert.ok(run.of("loop_finished").some((e) => e.outcome === "kill_switch"), run.stdout.slice(-2000));
  await waitFor(() => w.lines.some((l) => l.startsWith("■ slow")), "the worker's line for the stopped attempt");
});
