// S3* audit, oscillation detection and the S3/S4 conflict check, through real cycles: the verify
// commands decide audit_passed, a failed audit feeds the next S1 iteration, an agent undoing
// another's change is an oscillation, and S3 disagreeing with S4 is a recorded, counted conflict.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { json } from "../support/cli.ts";
import { allAgentsRun } from "../support/project.ts";
import { e2eProject, eventsOf, ofType, stateOf, type CycleJson } from "../support/e2e.ts";

void test("without `verify` the detected test command is the audit: its exit status decides audit_passed", async (t) => {
  const p = e2eProject({
    config: {},
    files: { Makefile: "test:\n\t@test -f greet.txt || { echo 'greet.txt is missing'; exit 1; }\n" },
  });
  t.after(() => p.cleanup());
  p.agent("code-writer", "if [ -e skip-work ]; then echo 'did nothing'; else echo hello > greet.txt; echo 'wrote greet.txt'; fi");
  p.write("skip-work", "");
  p.commitAll("project");

  // The agent does nothing: `make test` fails, in both iterations.
  const failing = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(failing.code, 1);
  const failed = json<CycleJson>(failing);
  assert.equal(failed.audit_passed, false);
  assert.match(failed.summary, /audit failed: `make test` exited 2/);

  p.git("rm", "-q", "skip-work");
  p.commitAll("work for real");
  const passing = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(passing.code, 0, passing.stderr);
  const passed = json<CycleJson>(passing);
  assert.equal(passed.audit_passed, true);
  const audit = ofType(await eventsOf(p.dir, passed.task_id), "audit_performed");
  assert.equal(audit.length, 1);
  assert.equal(audit[0]?.data.passed, true);
  const checks = audit[0]?.data.checks as { command: string; passed: boolean }[];
  assert.deepEqual(checks.map((c) => [c.command, c.passed]), [["make test", true]]);
});

void test("a failing verify gives a second S1 iteration whose prompt carries the check's output", async (t) => {
  const p = e2eProject({ config: { verify: ["test -f fixed.txt || { echo 'CHECK FAILED: fixed.txt is missing'; exit 1; }"] } });
  t.after(() => p.cleanup());
  // Only the second attempt fixes things; every attempt leaves its prompt for the test.
  p.agent("code-writer", `printf '%s' "$VIABLE_PROMPT" > '${p.sig("prompt")}'-$VIABLE_ATTEMPT; if [ "$VIABLE_ATTEMPT" = 2 ]; then touch fixed.txt; fi; echo "attempt $VIABLE_ATTEMPT"`);
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.equal(result.success, true);
  assert.equal(result.audit_passed, true);
  assert.deepEqual(result.s1_results.map((s) => [s.agent, s.output, s.metadata.iteration]), [["code-writer", "attempt 1", 1], ["code-writer", "attempt 2", 2]]);

  const first = fs.readFileSync(`${p.sig("prompt")}-1`, "utf8");
  const second = fs.readFileSync(`${p.sig("prompt")}-2`, "utf8");
  assert.doesNotMatch(first, /failed verification/);
  assert.match(second, /^Task: Add a greeting function\n/);
  assert.match(second, /The previous attempt failed verification:\n\$ test -f fixed\.txt .*\nCHECK FAILED: fixed\.txt is missing\nFix the cause\./);

  const events = await eventsOf(p.dir, result.task_id);
  assert.deepEqual(ofType(events, "audit_performed").map((e) => e.data.passed), [false, true]);
  assert.deepEqual(ofType(events, "agent_invoked").map((e) => e.data.attempt), [1, 2]);
  assert.equal(ofType(events, "task_completed")[0]?.data.iterations, 2);

  // Two iterations move the moving average of cycle iterations: 0.9 * 1 + 0.1 * 2.
  const state = await stateOf(p.dir);
  assert.equal(state.viability_metrics.avg_cycle_iterations, 1.1);
  assert.equal(state.viability_metrics.audit_pass_rate, 1, "the cycle's audit, finally, passed");
});

void test("an agent reverting another's change is an oscillation: logged, and the oscillation rate rises", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo 'export function greet() {}' >> README.md && echo 'added greet to README.md'");
  p.agent("tester", "git checkout -q -- README.md && echo 'reverted README.md'");
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function with tests", "--json");
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.deepEqual(result.agents_invoked, ["s1-code-writer", "s1-tester"]);

  const events = await eventsOf(p.dir, result.task_id);
  const osc = ofType(events, "oscillation_detected");
  assert.equal(osc.length, 1);
  assert.equal(osc[0]?.agent, "s1-tester");
  assert.equal(osc[0]?.data.path, "README.md");
  assert.equal(osc[0]?.data.returned_to, "HEAD");
  assert.equal(ofType(events, "audit_performed")[0]?.data.oscillation, true);
  const summary = json<{ oscillations: number }>(await p.viable("log", "--summary", "--task", result.task_id, "--json"));
  assert.equal(summary.oscillations, 1);

  const state = await stateOf(p.dir);
  assert.ok(state.viability_metrics.oscillation_rate > 0);
  assert.equal(state.viability_metrics.oscillation_rate, 0.15);
  assert.match((await p.viable("state")).stdout, /Oscillation Rate: 15\.00%/);
});

void test("S3's complexity differing from S4's assessed_complexity is a conflict escalated to S5 and counted", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  allAgentsRun(p, "echo \"$VIABLE_AGENT done\"");
  p.commitAll("agents");

  // No disagreement: S3 and S4 both see a medium task.
  const calm = json<CycleJson>(await p.viable("run", "Add a greeting function", "--json"));
  assert.deepEqual(calm.conflicts, []);
  assert.equal((await stateOf(p.dir)).viability_metrics.s3_s4_conflicts, 0);

  // S3's keywords make this complex; S4 sees a sweeping change in a tiny repository: medium.
  const r = await p.viable("run", "Refactor the api for performance", "--json");
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.deepEqual(result.conflicts, [{ type: "complexity_disagreement", s3: "complex", s4: "medium" }]);
  const events = await eventsOf(p.dir, result.task_id);
  assert.equal(ofType(events, "complexity_assessed")[0]?.data.complexity, "complex");
  assert.equal(ofType(events, "environment_scanned")[0]?.data.assessed_complexity, "medium");
  const conflict = ofType(events, "conflict_detected");
  assert.equal(conflict.length, 1);
  assert.equal(conflict[0]?.data.type, "complexity_disagreement");
  assert.equal(conflict[0]?.data.s3_position, "complexity complex");
  assert.equal(conflict[0]?.data.s4_position, "complexity medium");
  const decision = ofType(events, "policy_decision");
  assert.equal(decision.length, 1);
  assert.equal(decision[0]?.data.escalated, true);
  assert.equal(decision[0]?.data.conflict, "complexity_disagreement");
  assert.ok(events.indexOf(conflict[0]) < events.indexOf(decision[0]));

  const m = (await stateOf(p.dir)).viability_metrics;
  assert.equal(m.s3_s4_conflicts, 1);
  assert.ok((m.recent_s3_s4_conflicts ?? 0) > 0);
  assert.match((await p.viable("state")).stdout, /S3\/S4 Conflicts: 1/);
});
