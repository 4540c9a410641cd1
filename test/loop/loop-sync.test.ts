// Seed 004's git-history sync, per-runtime concurrency limits, and `viable reset` of a plan.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { test } from "node:test";
import { viable } from "../support/cli.ts";
import { itemFingerprint } from "../../src/plan/item-identity.ts";
import { loopProject, PLAIN } from "./support.ts";

const LIMIT = { timeout: 60_000 };

void test("an item whose `session: completed <id>` commit is already on the branch has passed: it never runs", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "done-by-hand" }, { id: "todo", dependencies: ["done-by-hand"] }]);
  p.script(`echo "$VIABLE_ITEM_ID" >> '${p.sig("ran")}'; echo x > "$VIABLE_ITEM_ID.txt"`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  p.write("manual.txt", "done by a person\n");
  p.commitAll("session: completed done-by-hand");
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("loop_reconciled")[0]?.synced_from_git, ["done-by-hand"]);
  assert.equal(fs.readFileSync(p.sig("ran"), "utf8"), "todo\n");
  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: { id: string; merged_commit: string }[] };
  assert.equal(show.items[0]?.merged_commit, p.git("rev-parse", "HEAD~1").trim());
});

void test("per-runtime limits hold below the global concurrency", LIMIT, async (t) => {
  const ids = ["r1", "r2", "r3", "r4"];
  const p = loopProject(t, ids.map((id) => ({ id })), { config: { workspace: { mode: "none" }, loop: { concurrency: 4, runtime_limits: { command: 1 } } } });
  // Each agent marks itself running, waits long enough for any other to do the same (a second: the
  // loop starts them further apart on a loaded machine), and fails if it is not alone.
  const running = p.sig("running");
  fs.mkdirSync(running);
  p.script(`touch '${running}'/"$VIABLE_ITEM_ID"; sleep 1
others=$(ls '${running}' | grep -v "^$VIABLE_ITEM_ID$" | tr '\\n' ' ')
sleep 0.1; rm '${running}'/"$VIABLE_ITEM_ID"
if [ -n "$others" ]; then echo "overlap with $others" >&2; exit 1; fi`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, `${run.stderr}\n${JSON.stringify(run.of("item_failed"))}`);
  assert.equal(run.of("item_passed").length, 4);
  const status = new Map<string, string>();
  let most = 0;
  for (const e of run.stream) {
    if (typeof e.data["item"] === "string" && typeof e.data["status"] === "string" && e.event_type !== "agent_event") status.set(e.data["item"], e.data["status"]);
    most = Math.max(most, [...status.values()].filter((s) => s === "running").length);
  }
  assert.equal(most, 1, "never more than one running");

  // The same plan without the limit does overlap: the check above can fail.
  p.config({ verify: [], workspace: { mode: "none" }, loop: { concurrency: 4, max_attempts: 1 }, defaults: { runtime: "command", kill_grace_ms: 200 } });
  p.features(ids.map((id) => ({ id: `${id}-again` })));
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const unlimited = await p.loop();
  assert.ok(unlimited.of("item_failed").some((e) => /overlap/.test(e.reason)), JSON.stringify(unlimited.of("item_failed")));
});

void test("`viable reset` clears the plan with the rest of the recorded state", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "a" }]);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  assert.equal((await viable(["reset", "--yes", "-d", p.dir])).code, 0);
  const show = await viable(["plan", "show", "-d", p.dir]);
  assert.equal(show.code, 2);
  assert.match(show.stderr, /no plan has been imported/);
});

void test("identity: a `session: completed <id>` commit from before the plan was imported does not pass the item; Viable's merge carries the item's fingerprint", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "1" }, { id: "2" }]);
  p.script(`echo x > "item-$VIABLE_ITEM_ID.txt"`);
  // Task Master numbers tasks 1..N in every project: an old commit for another plan's task 1.
  p.write("old.txt", "an older plan's work\n");
  p.git("add", "-A");
  execFileSync("git", ["commit", "-qm", "session: completed 1"], { cwd: p.dir, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "Someone", GIT_AUTHOR_EMAIL: "someone@example.invalid", GIT_COMMITTER_NAME: "Someone", GIT_COMMITTER_EMAIL: "someone@example.invalid", GIT_AUTHOR_DATE: "2020-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2020-01-01T00:00:00Z" } });
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.of("loop_reconciled")[0]?.synced_from_git, [], "the old commit proves nothing about this plan's item 1");
  assert.deepEqual(run.of("item_passed").map((e) => e.item).sort(), ["1", "2"]);
  const message = p.git("log", "-1", "--format=%B", "--grep=^session: completed 1$", "main");
  assert.match(message, /^Viable-Item: [0-9a-f]{16}$/m);
  assert.equal(message.match(/^Viable-Item: ([0-9a-f]{16})$/m)?.[1], itemFingerprint({ format: "feature-list" }, { id: "1", name: "Item 1", description: PLAIN }));

  // After a crash between the merge and its record, the next loop knows the item by its fingerprint.
  const again = await p.loop();
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(again.of("item_started"), [], "nothing runs twice");
});
