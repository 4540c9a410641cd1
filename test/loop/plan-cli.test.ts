// `viable plan import|validate|show|next|export|sessions` through the real CLI, and the loop over
// plans in Task Master's and beads' formats (allocation through S3, results exported back).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { viable } from "../support/cli.ts";
import { allAgentsRun } from "../support/project.ts";
import { importPlan, loopProject, PLAIN } from "./support.ts";

const LIMIT = { timeout: 60_000 };
const FIXTURES = path.resolve(import.meta.dirname, "..", "plan", "fixtures");

void test("import reports every problem at once with its file and field, exits 2, and stores nothing", LIMIT, async (t) => {
  const p = loopProject(t, []);
  p.write("bad.json", JSON.stringify({ features: [
    { id: "a", name: "A" },
    { id: "b" },
    { id: "a", name: "again" },
    { id: "c", name: "C", dependencies: ["zzz"] },
    { id: "d", name: "D", dependencies: ["d"] },
    { id: "x", name: "X", dependencies: ["y"] },
    { id: "y", name: "Y", dependencies: ["x"] },
    { id: "e", name: "E", priority: true },
  ] }, null, 2));
  const r = await viable(["plan", "import", "bad.json", "-d", p.dir], { cwd: p.dir });
  assert.equal(r.code, 2);
  const expected = [
    /bad\.json: 6 problems in the plan:/,
    /features\[1\]\.name: a feature needs a name, a title or a description/,
    /features\[7\]\.priority: invalid input/i,
    /features\[2\]\.id: duplicate id "a" \(first used at features\[0\]\)/,
    /features\[3\]\.dependencies\[0\]: "c" depends on "zzz", which is not an item in this plan/,
    /features\[4\]\.dependencies\[0\]: "d" depends on itself/,
    /features\[5\]\.dependencies\[0\]: dependency cycle: x → y → x/,
    /fix: correct each field listed in bad\.json/,
  ];
  for (const re of expected) assert.match(r.stderr, re);

  const json = await viable(["plan", "validate", "bad.json", "--json", "-d", p.dir], { cwd: p.dir });
  assert.equal(json.code, 2);
  const report = JSON.parse(json.stdout) as { ok: boolean; errors: number; problems: { kind: string; path: string; file: string }[] };
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.map((q) => q.kind).sort(), ["cycle", "duplicate_id", "schema", "schema", "self_dependency", "unknown_dependency"].sort());
  assert.ok(report.problems.every((q) => q.file === "bad.json"));

  const show = await viable(["plan", "show", "-d", p.dir]);
  assert.equal(show.code, 2);
  assert.match(show.stderr, /no plan has been imported/);
});

void test("a missing file, a directory and malformed JSON are refused with the file named", LIMIT, async (t) => {
  const p = loopProject(t, []);
  const missing = await viable(["plan", "import", "nope.json", "-d", p.dir], { cwd: p.dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: no such file/);
  p.write("broken.json", "{\"features\": [");
  const broken = await viable(["plan", "import", "broken.json", "-d", p.dir], { cwd: p.dir });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.json: not valid JSON/);
  const format = await viable(["plan", "import", "broken.json", "--format", "yaml", "-d", p.dir], { cwd: p.dir });
  assert.equal(format.code, 2);
  assert.match(format.stderr, /--format.*unknown plan format "yaml"[\s\S]*feature-list, taskmaster, beads/);
});

void test("dependents of a blocked item are reported as blocked by it; the rest of the plan runs", LIMIT, async (t) => {
  const p = loopProject(t, [
    { id: "base", blocked: true },
    { id: "mid", dependencies: ["base"] },
    { id: "top", dependencies: ["mid"] },
    { id: "free" },
  ]);
  p.script(`echo "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"`);
  const imported = await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /warning: .*"mid" is blocked by "base" \(marked blocked in feature_list\.json\)/);
  assert.match(imported.stderr, /warning: .*"top" is blocked by "base" .* through "mid"/);

  const run = await p.loop();
  assert.equal(run.code, 1);
  assert.deepEqual(run.of("item_blocked").map((e) => [e.item, e.reason]), [["mid", "blocked by base"], ["top", "blocked by base"]]);
  assert.deepEqual(run.of("item_passed").map((e) => e.item), ["free"]);
  assert.match(run.of("loop_finished")[0]?.message ?? "", /1\/4 items passed; 3 blocked: base \(marked blocked in feature_list\.json\), mid \(blocked by base\), top \(blocked by base\)/);
  const show = await viable(["plan", "show", "-d", p.dir]);
  assert.match(show.stdout, /✗ mid +blocked .* — blocked by base/);
});

void test("`plan next` is seed 004's single next feature; `plan show` and `plan sessions` read the store; export writes `passes` back", LIMIT, async (t) => {
  const p = loopProject(t, [
    { id: "later", priority: 5 },
    { id: "first", priority: 1, dependencies: ["done-already"] },
    { id: "done-already", priority: 0, passes: true },
    { id: "waits", priority: 0, dependencies: ["later"] },
  ]);
  p.script(`echo ok > "$VIABLE_ITEM_ID.txt"`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const next = await viable(["plan", "next", "--json", "-d", p.dir]);
  assert.equal((JSON.parse(next.stdout) as { id: string }).id, "first");
  assert.match((await viable(["plan", "next", "-d", p.dir])).stdout, /^first: Item first \(priority 1, low complexity\)/);

  const run = await p.loop("--concurrency", "1");
  assert.equal(run.code, 0, run.stderr);
  assert.match((await viable(["plan", "next", "-d", p.dir])).stdout, /nothing to do: every item has passed/);

  const out = path.join(p.signals, "sessions");
  const sessions = await viable(["plan", "sessions", "--write", out, "-d", p.dir]);
  assert.equal(sessions.code, 0, sessions.stderr);
  const files = fs.readdirSync(out).sort();
  assert.deepEqual(files, ["progress.txt", "session-001.json", "session-002.json", "session-003.json"]);
  const first = JSON.parse(fs.readFileSync(path.join(out, "session-001.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(first), ["session", "timestamp", "feature", "success", "elapsed_seconds", "error"]);
  assert.equal(first.feature, "first");
  assert.equal(first.success, true);
  // The JSON view names the attempt behind each session (seed 004's files have no such field).
  const recorded = JSON.parse((await viable(["plan", "sessions", "--json", "-d", p.dir])).stdout) as { feature: string; attempt_id: string | null }[];
  assert.equal(recorded.length, 3);
  assert.ok(recorded.every((s) => typeof s.attempt_id === "string" && s.attempt_id.length > 0), JSON.stringify(recorded));
  assert.equal(new Set(recorded.map((s) => s.attempt_id)).size, 3);

  const exported = await viable(["plan", "export", "--in-place", "-d", p.dir]);
  assert.equal(exported.code, 0, exported.stderr);
  const file = JSON.parse(p.read("feature_list.json")) as { features: { id: string; passes: boolean; description: string }[] };
  assert.ok(file.features.every((f) => f.passes), JSON.stringify(file.features));
  assert.equal(file.features[0]?.description, PLAIN, "everything else in the file is kept");
});

void test("a Task Master plan: S3 allocates agents by seed 004's complexity, groups finish with their subtasks, export marks them done", LIMIT, async (t) => {
  const p = loopProject(t, [], { config: { workspace: { mode: "none" } } });
  allAgentsRun(p, `echo "$VIABLE_AGENT on $VIABLE_ITEM_ID" >> '${p.sig("log")}'`);
  fs.copyFileSync(path.join(FIXTURES, "tasks-legacy.json"), path.join(p.dir, "tasks.json"));
  p.commitAll("task master plan");
  const imported = await viable(["plan", "import", "tasks.json", "--json", "-d", p.dir], { cwd: p.dir });
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal((JSON.parse(imported.stdout) as { format: string }).format, "taskmaster");
  assert.equal((JSON.parse(imported.stdout) as { claimed: number }).claimed, 2, "task 3 and its subtask are someone's current work");
  assert.match((await viable(["plan", "import", "tasks.json", "-d", p.dir], { cwd: p.dir })).stdout, /\(2 of them claimed by someone else: left alone unless --include-claimed\)/);

  const run = await p.loop();
  // The fixture defers one task: it stays blocked, so not everything passed. Task 3 is someone's
  // work in progress: it and its subtask are left alone.
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.of("loop_finished")[0]?.outcome, "blocked");
  // Blocked items do not hide the claimed ones from the final word.
  assert.match(String(run.of("loop_finished")[0]?.message), /1 blocked: 4 \(deferred in Task Master\); 2 claimed by someone else left alone \(3, 3\.1\)/);
  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: { id: string; status: string; complexity: string; blocked_reason: string | null }[] };
  assert.deepEqual(show.items.filter((i) => i.status !== "passed").map((i) => [i.id, i.status, i.blocked_reason]), [["3", "pending", null], ["3.1", "pending", null], ["4", "blocked", "deferred in Task Master"]]);
  // Every item that ran is low by seed 004's rules, and S3 gives a simple item the generalist.
  const started = run.of("item_started");
  assert.deepEqual(started.map((e) => e.item).sort(), ["2.2"]);
  for (const e of started) {
    assert.equal(show.items.find((i) => i.id === e.item)?.complexity, "low");
    assert.deepEqual(e.agents, ["generalist-coder"]);
  }
  // A parent task is done when its subtasks are: it runs no agent of its own.
  const parents = show.items.filter((i) => show.items.some((j) => j.id.startsWith(`${i.id}.`)));
  assert.ok(parents.length > 0);
  for (const parent of parents) assert.ok(!run.of("item_started").some((e) => e.item === parent.id), parent.id);

  const exported = JSON.parse((await viable(["plan", "export", "-d", p.dir])).stdout) as { tasks: { id: number; status: string; subtasks?: { status: string }[] }[] };
  const expectedStatus = (id: number) => (id === 4 ? "deferred" : id === 3 ? "in-progress" : "done");
  assert.deepEqual(exported.tasks.map((task) => [task.id, task.status, (task.subtasks ?? []).map((s) => s.status)]),
    exported.tasks.map((task) => [task.id, expectedStatus(task.id), (task.subtasks ?? []).map(() => (task.id === 3 ? "pending" : "done"))]));

  // The loop and `plan next` say what they left alone; --include-claimed works it too.
  assert.deepEqual(run.of("loop_started")[0]?.left_alone, ["3", "3.1"]);
  const next = await viable(["plan", "next", "-d", p.dir]);
  assert.match(next.stdout, /2 item\(s\) claimed by someone else left alone \(3, 3\.1; --include-claimed offers them\)/);
  const nextJson = await viable(["plan", "next", "--json", "-d", p.dir]);
  assert.equal(nextJson.stdout.trim(), "null");
  assert.match(nextJson.stderr, /note: 2 item\(s\) claimed by someone else left alone/);
  const claimed = await p.loop("--include-claimed");
  assert.deepEqual(claimed.of("item_started").map((e) => e.item), ["3.1"]);
  assert.deepEqual(claimed.of("item_passed").map((e) => e.item).sort(), ["3", "3.1"]);
});

void test("a beads plan runs in place and exports closed issues", LIMIT, async (t) => {
  const p = loopProject(t, [], { config: { workspace: { mode: "none" } } });
  allAgentsRun(p, "true");
  fs.copyFileSync(path.join(FIXTURES, "issues.jsonl"), path.join(p.dir, "issues.jsonl"));
  p.commitAll("beads plan");
  const imported = await viable(["plan", "import", "issues.jsonl", "-d", p.dir], { cwd: p.dir });
  assert.equal(imported.code, 0, imported.stderr);
  const run = await p.loop();
  const show = JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { counts: { passed: number; blocked: number; pending: number }; items: { id: string; status: string }[] };
  // Whatever the fixture blocks stays blocked; the issue in progress (bd-e1.2) is someone's work,
  // left alone, and its epic waits for it; everything else passes.
  assert.deepEqual(show.items.filter((i) => i.status === "pending").map((i) => i.id).sort(), ["bd-e1", "bd-e1.2"]);
  assert.equal(show.counts.passed + show.counts.blocked + show.counts.pending, show.items.length, JSON.stringify(show.counts));
  assert.equal(run.code, 1);
  const exported = (await viable(["plan", "export", "-d", p.dir])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; status: string; closed_at?: string });
  for (const issue of exported) {
    const item = show.items.find((i) => i.id === issue.id);
    if (item?.status === "passed") {
      assert.equal(issue.status, "closed", issue.id);
      assert.ok(issue.closed_at, `${issue.id} has closed_at`);
    }
  }
});

void test("import: an item naming an agent that does not exist is an error at its field, listing the agents there are; an empty plan does not replace a stored one unless --replace", async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b", agent: "no-such-agent" }]);
  const r = await importPlan(p);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /features\[1\]\.agent/);
  assert.match(r.stderr, /no-such-agent/);
  assert.match(r.stderr, /code-writer/, "the agents that exist are named");

  p.features([{ id: "a" }]);
  assert.equal((await importPlan(p)).code, 0);
  p.write("feature_list.json", JSON.stringify({ features: [] }));
  const empty = await importPlan(p);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /has no items; importing it would replace the stored plan of 1 item/);
  assert.match(empty.stderr, /--replace/);
  assert.equal((JSON.parse((await viable(["plan", "show", "--json", "-d", p.dir])).stdout) as { items: unknown[] }).items.length, 1, "the stored plan is untouched");
  const replaced = await viable(["plan", "import", path.join(p.dir, "feature_list.json"), "--replace", "-d", p.dir]);
  assert.equal(replaced.code, 0, replaced.stderr);
});

void test("re-import keeps an item's pass only while it is the same work: an id that now names other work starts over", LIMIT, async (t) => {
  const p = loopProject(t, [{ id: "kept" }, { id: "rewritten" }]);
  p.script(`echo ok > "$VIABLE_ITEM_ID.txt"`);
  await viable(["plan", "import", "feature_list.json", "-d", p.dir], { cwd: p.dir });
  const run = await p.loop("--concurrency", "1");
  assert.equal(run.code, 0, run.stderr);

  // The same ids again, one of them now describing other work.
  p.features([{ id: "kept" }, { id: "rewritten", name: "Something else entirely" }]);
  const again = await viable(["plan", "import", "feature_list.json", "--json", "-d", p.dir], { cwd: p.dir });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual((JSON.parse(again.stdout) as { kept_passed: string[] }).kept_passed, ["kept"]);
  assert.match((await viable(["plan", "next", "-d", p.dir])).stdout, /^rewritten: Something else entirely/);
});
