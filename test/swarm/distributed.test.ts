// A distributed loop end to end: one coordinator (`viable loop` with a Postgres store and
// loop.remote), worker processes each in a clone of their own, the shared remote a bare repository.

import assert from "node:assert/strict";
import { test } from "node:test";
import { importPlan, startLoop } from "../loop/support.ts";
import { blockingAgent, isRunning, waitFor } from "../support/e2e.ts";
import fs from "node:fs";
import path from "node:path";
import { viable } from "../support/cli.ts";
import { freePort, testDatabase } from "../support/postgres.ts";
import { swarmProject } from "./support.ts";

const SCRIPT = `printf '%s\\n' "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"\n`;

void test("workers on three machines work a plan; the coordinator merges each item once and publishes the integration branch", async (t) => {
  const url = await testDatabase(t);
  const items = Array.from({ length: 8 }, (_, i) => ({ id: `i${i + 1}`, description: `write i${i + 1}.txt`, ...(i >= 6 ? { dependencies: ["i1"] } : {}) }));
  const s = swarmProject(t, items, url);
  s.p.script(SCRIPT);
  assert.equal((await importPlan(s.p)).code, 0);
  const workers = [s.worker("m1", "--concurrency", "2"), s.worker("m2", "--concurrency", "2"), s.worker("m3", "--concurrency", "2")];
  const run = await s.p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));
  assert.equal(run.of("item_passed").length, 8);
  assert.deepEqual(s.p.sessionCommits().length, 8);
  for (const i of items) assert.equal(s.p.git("show", `main:${i.id}.txt`), `${i.id}\n`);
  // Published: the remote's main is the coordinator's.
  assert.equal(s.p.git("ls-remote", s.remote, "refs/heads/main").split(/\s/)[0], s.p.git("rev-parse", "main").trim());
  // The work was done by the workers, not here.
  const taken = workers.map((w) => w.lines.filter((l) => l.startsWith("✓")).length);
  assert.equal(taken.reduce((a, b) => a + b, 0), 8, JSON.stringify(workers.map((w) => w.lines)));
  // Workers that had only just started (not yet in pg-boss's registry with their queues) are not reported missing.
  assert.deepEqual(run.of("loop_note").map((n) => n.message).filter((m) => /worker/.test(m)), []);
});

void test("jobs on a queue no worker takes: the coordinator says which runtime has none and how to start one, once, and goes on when one starts", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, [{ id: "a", description: "write a.txt" }, { id: "b", description: "write b.txt" }], url);
  s.p.script(SCRIPT);
  assert.equal((await importPlan(s.p)).code, 0);
  const loop = startLoop(s.p.dir);
  const notes = () => loop.events.flatMap((e) => (e.type === "loop_note" ? [e.message] : []));
  const [missing] = await waitFor(() => notes().length > 0 && notes(), "the coordinator's note of a queue without a worker", 60_000);
  assert.match(missing!, /^no live worker takes command jobs \(queue [\w-]+\); items for command wait until one does: start `viable worker --runtimes command` in a clone of the project$/);
  const worker = s.worker("m1");
  const run = await loop.done;
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));
  assert.equal(run.of("item_passed").length, 2);
  // Told once for both items, and told again when a worker took the queue up.
  assert.deepEqual(run.of("loop_note").map((n) => n.message.replace(/ \(queue.*/, "")), ["no live worker takes command jobs", "a worker now takes command jobs"]);
  assert.equal(worker.lines.filter((l) => l.startsWith("✓")).length, 2, worker.lines.join("\n"));
});

void test("viable doctor on a worker's machine: git, the database (schema, clock against the server's), the remote — and what to fix when one is off", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, [{ id: "a", description: "write a.txt" }], url);
  // The machine: a clone of the remote (its worker is not needed for the checks).
  const w = s.worker("m1");
  w.kill("SIGTERM");
  await w.done;
  assert.equal((await viable(["state", "-d", w.dir])).code, 0);
  const good = await viable(["doctor", "-d", w.dir]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /✓ git\s+git version/);
  assert.match(good.stdout, /✓ database\s+postgres:\/\/postgres@127\.0\.0\.1:\d+\/viable_test_\w+ \(Postgres 15.*\), schema version \d+/);
  assert.match(good.stdout, /✓ clock\s+within \d+ ms of the database server's/);
  assert.match(good.stdout, /✓ remote\s+.*remote\.git answers/);

  const closed = `postgres://nobody:secret@127.0.0.1:${await freePort()}/x`;
  fs.writeFileSync(path.join(w.dir, ".viable", "config.json"), JSON.stringify({ store: { url: closed }, loop: { remote: path.join(w.dir, "no-such-remote.git") } }));
  const bad = await viable(["doctor", "-d", w.dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /✗ database\s+postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/x: .*\n {4}fix: start the server/);
  assert.match(bad.stdout, /✗ remote\s+.*no-such-remote\.git.*\n {4}fix: set loop\.remote/);
  assert.doesNotMatch(bad.stdout, /secret/);
});

void test("a shadow in a distributed loop runs on the coordinator's machine beside the worker's primary; compared, never merged", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, ["a", "b", "c"].map((id) => ({ id, description: `write ${id}.txt`, verify: [`test "$(cat ${id}.txt)" = ok`] })), url);
  // The shadow gets c wrong; the primary gets everything right.
  const shadowScript = s.p.sig("shadow.sh");
  fs.writeFileSync(shadowScript, `[ "$VIABLE_ITEM_ID" = c ] && echo wrong > c.txt || echo ok > "$VIABLE_ITEM_ID.txt"; pwd > '${s.p.sig("shadow-cwd-")}'"$VIABLE_ITEM_ID"\n`);
  s.p.agent("shadow-writer", `sh '${shadowScript}'`);
  s.p.agent("code-writer", `sh '${s.p.sig("agent.sh")}'`, { shadow: "shadow-writer" });
  s.p.script(`echo ok > "$VIABLE_ITEM_ID.txt"\n`);
  s.p.commitAll("a shadow for code-writer");
  s.p.git("push", "--quiet", s.remote, "main");
  assert.equal((await importPlan(s.p)).code, 0);
  const worker = s.worker("m1", "--concurrency", "2");
  const run = await s.p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));
  assert.deepEqual(run.of("item_shadow_compared").map((x) => [x.item, x.primary.passed, x.shadow.passed, x.agree, x.primary.files]).sort(), [
    ["a", true, true, true, ["a.txt"]], ["b", true, true, true, ["b.txt"]], ["c", true, false, false, ["c.txt"]],
  ]);
  // The primaries ran on the worker, the shadows here, in worktrees of the coordinator's project.
  assert.equal(worker.lines.filter((l) => l.startsWith("✓")).length, 3, worker.lines.join("\n"));
  for (const id of ["a", "b", "c"]) assert.ok(fs.readFileSync(s.p.sig(`shadow-cwd-${id}`), "utf8").startsWith(s.p.dir), id);
  assert.equal(s.p.git("show", "main:c.txt"), "ok\n");
  assert.deepEqual(s.p.git("branch", "--list", "*shadow*").trim(), "");
});

void test("budgets.run in seconds in a distributed loop: the coordinator stops the run when it is spent, and the agent on the worker stops with it", async (t) => {
  const url = await testDatabase(t);
  const s = swarmProject(t, [{ id: "a", description: "write a.txt" }], url, { budgets: { run: { seconds: 5 } } });
  const pidFile = s.p.sig("pids");
  s.p.script(blockingAgent(pidFile));
  assert.equal((await importPlan(s.p)).code, 0);
  // The worker ready first: the run's seconds count from the coordinator's start.
  const worker = s.worker("m1");
  await waitFor(() => worker.notes.some((l) => l.startsWith("viable worker:")), "the worker ready");
  const run = await s.p.loop();
  assert.equal(run.code, 1, run.stderr + run.stdout.slice(-2000));
  const [finished] = run.of("loop_finished");
  assert.equal(finished?.outcome, "budget_exceeded");
  assert.match(finished?.message ?? "", /^run budget exceeded: \d+ s of 5 s; raise budgets\.run/);
  // The agent on the worker (and the child it left in its own session) stopped with the run.
  const pids = fs.readFileSync(pidFile, "utf8").trim().split(" ").slice(0, 3).map(Number);
  await waitFor(() => pids.every((p) => !isRunning(p)), "the worker's agent stopped");
  await waitFor(() => worker.lines.some((l) => l.startsWith("■ a")), "the worker's line for the stopped attempt");
});
