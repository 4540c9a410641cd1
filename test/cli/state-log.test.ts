// The read side of the CLI after real runs: `viable state` (seed layout, --json, --export-vsm),
// `viable log` (count, task, session, json, jsonl, summary), `viable reset`, and `viable analyze`.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { json, viable } from "../support/cli.ts";
import { e2eProject, eventsOf, stateOf, type CycleJson, type Event } from "../support/e2e.ts";

/** A project with two recorded tasks, from two sessions: one completed, one failed. */
async function twoTasks() {
  const p = e2eProject();
  p.agent("code-writer", "if [ -e fail-now ]; then echo 'broke on purpose' >&2; exit 1; fi; echo implemented");
  p.commitAll("agents");
  const first = await viable(["run", "Add a greeting function", "--json", "-d", p.dir], { env: { VIABLE_SESSION_ID: "session-one" } });
  assert.equal(first.code, 0, first.stderr);
  p.write("fail-now", "");
  const second = await viable(["run", "Add a farewell function", "--json", "-d", p.dir], { env: { VIABLE_SESSION_ID: "session-two" } });
  assert.equal(second.code, 1, second.stderr);
  return { p, done: json<CycleJson>(first), failed: json<CycleJson>(second) };
}

// The read-only tests share one recorded project; `reset` makes its own.
let fixture: Awaited<ReturnType<typeof twoTasks>>;
before(async () => {
  fixture = await twoTasks();
});
after(() => fixture.p.cleanup());

void test("viable state shows the current task, metrics and error rates in the seed's layout, and as JSON", async () => {
  const { p, failed } = fixture;

  const human = await p.viable("state");
  assert.equal(human.code, 0, human.stderr);
  for (const line of ["VSM State", "Current Task:", `  ID: ${failed.task_id}`, "  Description: Add a farewell function", "  Status: failed",
    "  Complexity: medium", "Viability Metrics:", "  Completion Rate: 90.00%", "  Audit Pass Rate: 85.00%", "  Oscillation Rate: 0.00%",
    "  S3/S4 Conflicts: 0", "  Avg Cycle Iterations: 1.00", "  Agent Error Rates:", "    code-writer: 20.00%", "Tasks: 1 completed, 1 failed, 0 in progress"]) {
    assert.ok(human.stdout.split("\n").includes(line), `missing ${JSON.stringify(line)} in:\n${human.stdout}`);
  }
  assert.match(human.stdout, /^ {2}Reason: Completed with 0\/1 agents successful — code-writer: exited 1: broke on purpose/m);

  const state = await stateOf(p.dir);
  assert.deepEqual(Object.keys(state).sort(),
    ["agent_registry", "current_task", "health", "kill_switch", "s3_allocation", "s4_environment", "tasks", "viability_metrics"]);
  assert.equal(state.current_task?.id, failed.task_id);
  assert.equal(state.current_task?.status, "failed");
  const m = state.viability_metrics;
  assert.equal(m.window, "last_10_tasks");
  assert.equal(m.completion_rate, 0.9);
  assert.equal(m.audit_pass_rate, 0.85);
  assert.equal(m.agent_errors["code-writer"], 0.2);
  assert.equal(m.avg_cycle_iterations, 1);
  assert.deepEqual(m.active_adaptations, []);
  assert.equal(state.agent_registry.agents["code-writer"]?.status, "idle");
  assert.equal(state.s3_allocation?.task_id, failed.task_id);
  assert.deepEqual(state.s3_allocation?.selected_agents, ["code-writer"]);
  assert.equal(state.s4_environment?.assessed_complexity, "medium");
  assert.deepEqual(state.tasks, { pending: 0, in_progress: 0, completed: 1, failed: 1 });
  assert.equal(state.kill_switch, null);
});

void test("viable state --export-vsm writes seed 001's six files, matching state and log", async () => {
  const { p, failed } = fixture;
  const out = path.join(p.signals, "export");

  const r = await p.viable("state", "--export-vsm", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote 6 files to /);
  assert.deepEqual(fs.readdirSync(out).sort(), ["agent-registry.json", "current-task.json", "execution-log.jsonl",
    "s3-allocations.json", "s4-environment.json", "viability-metrics.json"]);
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(out, name), "utf8")) as Record<string, unknown>;
  const state = await stateOf(p.dir);
  assert.deepEqual(read("current-task.json"), state.current_task);
  assert.equal(read("current-task.json").id, failed.task_id);
  assert.deepEqual(read("viability-metrics.json"), state.viability_metrics);
  assert.deepEqual(read("s3-allocations.json"), state.s3_allocation);
  assert.deepEqual(read("s4-environment.json"), state.s4_environment);
  const registry = read("agent-registry.json") as { agents: Record<string, Record<string, unknown>>; last_updated: string };
  assert.deepEqual(Object.keys(registry.agents["code-writer"] ?? {}).sort(), ["capabilities", "status", "type"]);
  assert.equal(registry.last_updated, state.viability_metrics.last_updated);

  const exported = fs.readFileSync(path.join(out, "execution-log.jsonl"), "utf8").trimEnd().split("\n");
  const jsonl = await p.viable("log", "--jsonl");
  assert.deepEqual(exported, jsonl.stdout.trimEnd().split("\n"));
  const first = JSON.parse(exported[0] ?? "{}") as Record<string, unknown>;
  assert.deepEqual(Object.keys(first), ["timestamp", "event_type", "task_id", "agent", "data", "session_id"]);
  assert.equal(first.event_type, "task_started");

  const asJson = await p.viable("state", "--export-vsm", path.join(p.signals, "again"), "--json");
  assert.equal(json<{ exported: string[] }>(asJson).exported.length, 6);
});

void test("viable log: the last 20 by default, --count, --task, --session, --json, --jsonl and --summary", async () => {
  const { p, done, failed } = fixture;
  const all = await eventsOf(p.dir);
  assert.ok(all.length > 20, `two cycles log more than 20 events (${all.length})`);
  assert.ok(all.every((e, i) => i === 0 || e.timestamp >= all[i - 1]!.timestamp), "oldest first");

  const byDefault = json<Event[]>(await p.viable("log", "--json"));
  assert.deepEqual(byDefault, all.slice(-20));
  const human = await p.viable("log");
  assert.equal(human.stdout.trimEnd().split("\n").length, 20);
  assert.match(human.stdout.trimEnd().split("\n").at(-1) ?? "", new RegExp(`task_failed\\s+${failed.task_id}`));

  assert.deepEqual(json<Event[]>(await p.viable("log", "--count", "3", "--json")), all.slice(-3));
  const countFlag = await p.viable("log", "--count", "0");
  assert.equal(countFlag.code, 2);
  assert.match(countFlag.stderr, /expected a positive whole number/);

  const task = json<Event[]>(await p.viable("log", "--task", done.task_id, "--json"));
  assert.deepEqual(task, all.filter((e) => e.task_id === done.task_id));
  assert.equal(task[0]?.event_type, "task_started");
  assert.equal(task.at(-1)?.event_type, "task_completed");

  const session = json<Event[]>(await p.viable("log", "--session", "session-two", "--json"));
  assert.ok(session.length > 0);
  assert.ok(session.every((e) => e.session_id === "session-two"));
  assert.ok(session.some((e) => e.task_id === failed.task_id) && !session.some((e) => e.task_id === done.task_id));
  assert.deepEqual(json<Event[]>(await p.viable("log", "--all", "--json")), all);

  const summary = json<Record<string, unknown>>(await p.viable("log", "--summary", "--task", failed.task_id, "--json"));
  assert.equal(summary.task_id, failed.task_id);
  assert.equal(summary.description, "Add a farewell function");
  assert.equal(summary.status, "failed");
  assert.deepEqual(summary.agents_invoked, ["s1-code-writer"]);
  assert.deepEqual(summary.agent_errors, ["s1-code-writer"]);
  assert.deepEqual(summary.audits, [{ passed: false }]);
  assert.equal(summary.event_count, all.filter((e) => e.task_id === failed.task_id).length);
  const humanSummary = await p.viable("log", "--summary", "--task", done.task_id);
  assert.match(humanSummary.stdout, /^status: completed$/m);

  const noTask = await p.viable("log", "--summary");
  assert.equal(noTask.code, 2);
  assert.match(noTask.stderr, /--summary needs --task ID/);
});

void test("viable reset refuses without --yes off a terminal, and with --yes clears the recorded state", async (t) => {
  const { p } = await twoTasks();
  t.after(() => p.cleanup());

  const refused = await p.viable("reset");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /rerun with --yes/);
  assert.equal((await stateOf(p.dir)).tasks.failed, 1, "nothing was deleted");

  const r = await p.viable("reset", "--yes");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /state reset/);
  const state = await stateOf(p.dir);
  assert.equal(state.current_task, null);
  assert.deepEqual(state.tasks, { pending: 0, in_progress: 0, completed: 0, failed: 0 });
  assert.equal(state.viability_metrics.completion_rate, 1);
  assert.deepEqual(state.viability_metrics.agent_errors, {});
  assert.deepEqual(await eventsOf(p.dir), []);
  assert.match((await p.viable("state")).stdout, /\(none yet/);
  assert.match((await p.viable("log")).stdout, /\(no log entries\)/);
  // The project works as before.
  fs.rmSync(path.join(p.dir, "fail-now"));
  assert.equal((await p.viable("run", "Add a greeting function")).code, 0);
});

void test("viable analyze: a hint decides at 0.95; the seed's OAuth2 example is complex backend work", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());

  for (const text of ["Add user authentication with OAuth2", "refactor the whole distributed architecture", "anything at all"]) {
    const r = await p.viable("analyze", text, "--hint", "simple", "--json");
    assert.equal(r.code, 0, r.stderr);
    const a = json<Record<string, unknown>>(r);
    assert.equal(a.complexity, "simple", text);
    assert.equal(a.confidence, 0.95, text);
    assert.deepEqual(a.suggested_agents, ["generalist-coder"], text);
    assert.equal(a.rationale, "User specified simple");
  }

  const oauth = json<Record<string, unknown>>(await p.viable("analyze", "Add user authentication with OAuth2", "--json"));
  assert.equal(oauth.complexity, "complex");
  assert.equal(oauth.confidence, 0.85);
  assert.deepEqual(oauth.domain_signals, ["backend"]);
  assert.deepEqual(oauth.suggested_agents, ["backend", "tester", "reviewer"]);
  assert.equal(oauth.scope_estimate, "multi_file");
  const rec = oauth.recommendation as Record<string, unknown>;
  assert.deepEqual(rec.primary_agents, ["backend", "tester"]);
  assert.deepEqual(rec.support_agents, ["reviewer"]);

  const human = await p.viable("analyze", "Add user authentication with OAuth2");
  assert.match(human.stdout, /^complexity: complex \(confidence 0\.85\)$/m);
  assert.match(human.stdout, /^suggested agents: backend, tester, reviewer$/m);

  for (const args of [["--hint", "enormous"], ["--hint", "simple", "--complex"]]) {
    const bad = await p.viable("analyze", "Add a feature", ...args);
    assert.equal(bad.code, 2, args.join(" "));
    assert.match(bad.stderr, /unknown complexity hint "enormous"|give one complexity hint/);
  }
  // Analysis records nothing.
  assert.equal(fs.existsSync(path.join(p.dir, ".viable", "state", "viable.db")), false);
});
