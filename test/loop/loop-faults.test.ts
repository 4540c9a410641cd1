// The loop in place (workspace mode `none`), and faults outside the items: the disk filling up while
// the loop records, the kill switch, and the session limit.

import assert from "node:assert/strict";
import fs from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { openProject } from "../../src/app/project.ts";
import { runPlanLoop } from "../../src/app/run-loop.ts";
import { SqliteStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { viable } from "../support/cli.ts";
import { waitFor } from "../support/e2e.ts";
import { pageCount } from "../support/project.ts";
import { loopProject, startLoop, type Feature } from "./support.ts";

const LIMIT = { timeout: 120_000 };
const many = (n: number): Feature[] => Array.from({ length: n }, (_, k) => ({ id: `n${k}`, ...(k >= 5 ? { dependencies: [`n${k - 5}`] } : {}) }));

void test("in workspace mode none items run in the project itself, nothing is merged, and every transition is recorded", LIMIT, async (t) => {
  const p = loopProject(t, many(12), { config: { workspace: { mode: "none" } } });
  p.script(`echo "$VIABLE_ITEM_ID $PWD" >> '${p.sig("ran")}'`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop("--concurrency", "3");
  assert.equal(run.code, 0, run.stderr);
  const ran = fs.readFileSync(p.sig("ran"), "utf8").trim().split("\n");
  assert.equal(ran.length, 12);
  assert.ok(ran.every((l) => l.endsWith(` ${p.dir}`)), ran.join("\n"));
  assert.deepEqual(p.sessionCommits(), []);
  assert.equal(p.git("worktree", "list").trim().split("\n").length, 1);
  const db = new DatabaseSync(projectPaths(p.dir).database);
  t.after(() => db.close());
  const count = (type: string) => (db.prepare("SELECT count(*) AS n FROM events WHERE event_type = ?").get(type) as { n: number }).n;
  assert.equal(count("item_started"), 12);
  assert.equal(count("item_verified"), 12);
  assert.equal(count("agent_completed"), 12);
  assert.equal(count("session_recorded"), 12);
  assert.equal((db.prepare("SELECT count(*) AS n FROM attempts WHERE status = 'finished' AND item_id IS NOT NULL").get() as { n: number }).n, 12);
});

void test("the disk filling up while the loop records stops it with a clear error; nothing recorded is lost and the next loop finishes the rest", LIMIT, async (t) => {
  const p = loopProject(t, many(60), { config: { workspace: { mode: "none" } } });
  p.script("true");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const paths = projectPaths(p.dir);
  const pages = pageCount(paths.database);
  const project = await openProject(p.dir, { writer: true, command: "test", journal: "thread", maxPageCount: pages + 6 });
  let result;
  try {
    result = await runPlanLoop(project, { allowDirty: false, signal: new AbortController().signal });
  } finally {
    await project.close();
  }
  assert.equal(result.outcome, "failed");
  assert.match(result.message, /the disk is full \(or .*viable\.db reached its size limit\).*everything recorded before them is intact/);

  // What was recorded is all there and consistent: every item recorded as passed has its session.
  const reader = SqliteStore.open(paths, { writer: false, command: "test" });
  const stored = (await reader.queries.plan())!;
  const passedBefore = stored.plan.items.filter((i) => i.status === "passed").map((i) => i.id);
  const sessionsBefore = await reader.queries.sessions();
  await reader.close();
  assert.ok(passedBefore.length > 0 && passedBefore.length < 60, `${passedBefore.length} passed before the disk filled up`);
  for (const id of passedBefore) assert.ok(sessionsBefore.some((s) => s.feature === id && s.success), `${id} has its session`);

  const rest = await p.loop();
  assert.equal(rest.code, 0, rest.stderr);
  const after = JSON.parse((await viable(["plan", "sessions", "--json", "-d", p.dir])).stdout) as { feature: string; success: boolean }[];
  assert.deepEqual(after.slice(0, sessionsBefore.length).map((s) => s.feature), sessionsBefore.map((s) => s.feature), "the earlier sessions are kept as they were");
  for (const id of passedBefore) assert.equal(after.filter((s) => s.feature === id && s.success).length, 1, `${id} did not run again`);
  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { counts: { passed: number } };
  assert.equal(show.counts.passed, 60);
});

void test("`viable stop` ends a running loop through the kill switch; nothing new starts until `viable resume`", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "k1" }, { id: "k2", dependencies: ["k1"] }]);
  p.script(`touch '${p.sig("started-")}'"$VIABLE_ITEM_ID"; while :; do sleep 0.05; done`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = startLoop(p.dir);
  t.after(() => run.child.kill("SIGKILL"));
  await waitFor(() => fs.existsSync(p.sig("started-k1")), "k1 to start");
  const stop = await viable(["stop", "-d", p.dir]);
  assert.equal(stop.code, 0, stop.stderr);
  const done = await run.done;
  assert.equal(done.code, 1);
  assert.equal(done.of("loop_finished")[0]?.outcome, "kill_switch");
  const refused = await p.loop();
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /kill switch is engaged/);
  assert.equal((await viable(["resume", "-d", p.dir])).code, 0);
});

void test("--max-sessions bounds one run; the next run continues", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "m1" }, { id: "m2" }, { id: "m3" }], { config: { workspace: { mode: "none" } } });
  p.script("true");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const first = await p.loop("--max-sessions", "2", "--concurrency", "1");
  assert.equal(first.code, 1);
  assert.equal(first.of("loop_finished")[0]?.outcome, "max_sessions");
  assert.equal(first.of("item_passed").length, 2);
  const second = await p.loop();
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.of("item_passed").map((e) => e.item), ["m3"]);
});

void test("an agent CLI that is not installed stops the loop at once with the fix; the item's attempt is not counted", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b" }], { config: { runtimes: { claude: { bin: "/nonexistent/claude" } }, loop: { max_attempts: 1 } } });
  p.write(".viable/agents/code-writer.md", "---\nname: code-writer\ndescription: writes code\nruntime: claude\n---\nYou write code.\n");
  p.commitAll("a claude agent");
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop("--concurrency", "1");
  assert.equal(run.code, 1, run.stderr);
  const [failed] = run.of("item_failed");
  assert.deepEqual(failed?.failure, { kind: "not_installed" });
  assert.equal(failed?.will_retry, false);
  assert.match(failed?.reason ?? "", /could not start|not installed/);
  assert.equal(run.of("item_started").length, 1, "nothing else was started on a runtime that cannot start");
  assert.equal(run.of("item_blocked").length, 0, "max_attempts 1, yet the item is not blocked: its attempt did not count");
  assert.equal(run.of("loop_finished")[0]?.outcome, "failed");
  // Installed meanwhile (here: a command agent instead), the next run takes the same item again.
  p.agent("code-writer", "true");
  p.commitAll("a command agent");
  const again = await p.loop("--concurrency", "1");
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.of("item_passed").length, 2);
});
