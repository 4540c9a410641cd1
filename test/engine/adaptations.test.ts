// The algedonic loop acting on the next cycle. Each test seeds the metrics the way earlier cycles
// would have left them, runs a real cycle, and checks what users see change: the order and grouping
// of agents, the complexity scores, the audit, S5's approval, and adaptations clearing once their
// metric has recovered.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { json } from "../support/cli.ts";
import { allAgentsRun } from "../support/project.ts";
import { adaptation, e2eProject, eventsOf, ofType, seedMetrics, stateOf, type CycleJson, type E2EProject, type Event } from "../support/e2e.ts";

const ECHO_AGENT = "echo \"$VIABLE_AGENT done\"";

function agentsProject(t: { after: (fn: () => void) => void }, command = ECHO_AGENT, config?: Record<string, unknown>): E2EProject {
  const p = e2eProject(config ? { config } : {});
  t.after(() => p.cleanup());
  allAgentsRun(p, command);
  p.commitAll("agents");
  return p;
}

async function runJson(p: E2EProject, task: string, ...flags: string[]): Promise<{ code: number | null; result: CycleJson; events: Event[] }> {
  const r = await p.viable("run", task, "--json", ...flags);
  const result = json<CycleJson>(r);
  return { code: r.code, result, events: await eventsOf(p.dir, result.task_id) };
}

const invokedOrder = (events: Event[]) => ofType(events, "agent_invoked").map((e) => e.agent);
const groupsOf = (events: Event[]) => ofType(events, "coordination_planned")[0]?.data.groups as string[][];

void test("S5 approval: off a terminal it stops with exit 2 naming --auto-approve; --auto-approve runs; policy reject fails the task", async (t) => {
  const p = agentsProject(t);
  const ran = p.sig("ran");
  p.agent("code-writer", `echo "$VIABLE_TASK_ID" >> '${ran}'; ${ECHO_AGENT}`);
  p.commitAll("code-writer that leaves a trace");
  await seedMetrics(p.dir, { s3_s4_conflicts: 5, recent_s3_s4_conflicts: 5 });

  const refused = await p.viable("run", "Add a greeting function");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /S5 approval is required .*rerun with --auto-approve/);
  assert.equal(fs.existsSync(ran), false, "no agent ran");
  let state = await stateOf(p.dir);
  assert.equal(state.current_task?.status, "failed");
  assert.match(state.current_task?.failure_reason ?? "", /S5 approval is required/);
  assert.deepEqual(state.viability_metrics.active_adaptations.map((a) => a.type), ["require_s5_approval"]);
  const refusedEvents = await eventsOf(p.dir, state.current_task?.id);
  assert.equal(ofType(refusedEvents, "adaptation_applied")[0]?.data.type, "require_s5_approval");
  assert.equal(ofType(refusedEvents, "approval_requested").length, 1);
  assert.equal(ofType(refusedEvents, "policy_decision")[0]?.data.decision, "approval_required");
  assert.equal(ofType(refusedEvents, "task_failed")[0]?.data.status, "approval_required");

  const approved = await runJson(p, "Add a greeting function", "--auto-approve");
  assert.equal(approved.code, 0);
  assert.equal(approved.result.success, true);
  assert.deepEqual(ofType(approved.events, "policy_decision").map((e) => [e.data.decision, e.data.by]), [["approved", "flag"]]);
  assert.deepEqual(fs.readFileSync(ran, "utf8").trim().split("\n"), [approved.result.task_id]);

  p.config({ verify: ["true"], defaults: { runtime: "command", kill_grace_ms: 200 }, approval: "reject" });
  const rejected = await runJson(p, "Add a greeting function");
  assert.equal(rejected.code, 1);
  assert.equal(rejected.result.success, false);
  assert.equal(rejected.result.summary, "S5 rejected the allocation twice");
  assert.deepEqual(rejected.result.s1_results, []);
  assert.equal(ofType(rejected.events, "approval_requested").length, 2);
  assert.deepEqual(ofType(rejected.events, "policy_decision").map((e) => [e.data.decision, e.data.by]), [["rejected", "policy"], ["rejected", "policy"]]);
  state = await stateOf(p.dir);
  assert.equal(state.current_task?.status, "failed");
  assert.equal(state.current_task?.failure_reason, "S5 rejected the allocation twice");
  assert.equal(fs.readFileSync(ran, "utf8").trim().split("\n").length, 1, "no agent ran after the rejections");
});

void test("add_review_step{target_agent: tester}: a reviewer runs right before tester", async (t) => {
  const p = agentsProject(t);
  const task = "Add a greeting function with tests";
  const before = await runJson(p, task);
  assert.deepEqual(invokedOrder(before.events), ["s1-code-writer", "s1-tester"]);

  await seedMetrics(p.dir, { agent_errors: { tester: 0.5 } });
  const after = await runJson(p, task);
  assert.equal(after.code, 0);
  assert.deepEqual(after.result.adaptations.map((a) => [a.type, a.parameters]), [["add_review_step", { target_agent: "tester" }]]);
  assert.deepEqual(invokedOrder(after.events), ["s1-code-writer", "s1-reviewer", "s1-tester"]);
  const allocation = ofType(after.events, "allocation_made")[0]?.data as { agents: { name: string; role: string; focus: string }[] };
  assert.equal(allocation.agents[1]?.role, "review");
  assert.match(allocation.agents[1]?.focus ?? "", /before tester starts/);
});

void test("two agents with high error rates get two add_review_step adaptations, each once", async (t) => {
  const p = agentsProject(t);
  await seedMetrics(p.dir, { agent_errors: { "code-writer": 0.5, tester: 0.6 } });

  const first = await runJson(p, "Add a greeting function with tests");
  assert.equal(first.code, 0);
  const applied = ofType(first.events, "adaptation_applied").map((e) => [e.data.type, e.data.parameters]);
  assert.deepEqual(applied, [["add_review_step", { target_agent: "code-writer" }], ["add_review_step", { target_agent: "tester" }]]);
  assert.deepEqual(invokedOrder(first.events), ["s1-reviewer", "s1-code-writer", "s1-reviewer", "s1-tester"]);

  // Still above the threshold after a good cycle (0.4 and 0.48): kept, not applied again.
  const second = await runJson(p, "Add a greeting function with tests");
  assert.deepEqual(ofType(second.events, "adaptation_applied"), []);
  const active = (await stateOf(p.dir)).viability_metrics.active_adaptations;
  assert.deepEqual(active.map((a) => [a.type, a.parameters]),
    [["add_review_step", { target_agent: "code-writer" }], ["add_review_step", { target_agent: "tester" }]]);
});

void test("lower_complexity_threshold: the same task's complexity scores rise by the lowering", async (t) => {
  const p = agentsProject(t);
  const task = "Add a greeting function with tests";
  const before = await runJson(p, task);
  const baseline = ofType(before.events, "complexity_assessed")[0]?.data;
  assert.deepEqual(baseline?.scores, { simple: 0, medium: 0.25, complex: 0 });

  await seedMetrics(p.dir, { completion_rate: 0.4 });
  const after = await runJson(p, task);
  assert.deepEqual(after.result.adaptations.map((a) => a.type), ["lower_complexity_threshold"]);
  const assessed = ofType(after.events, "complexity_assessed")[0]?.data;
  assert.deepEqual(assessed?.scores, { simple: 0, medium: 0.325, complex: 0.15 });
  assert.match(String(assessed?.rationale), /Thresholds lowered by 0\.15/);
});

void test("increase_s2_involvement: every S2 group has one agent, and no two agents run at once", async (t) => {
  const p = agentsProject(t);
  const task = "Refactor the React UI and the REST api";
  const before = await runJson(p, task);
  assert.ok(groupsOf(before.events).some((g) => g.length > 1), `without the adaptation some agents share a group: ${JSON.stringify(groupsOf(before.events))}`);

  await seedMetrics(p.dir, { oscillation_rate: 0.3 });
  const after = await runJson(p, task);
  assert.equal(after.code, 0);
  assert.deepEqual(after.result.adaptations.map((a) => a.type), ["increase_s2_involvement"]);
  const groups = groupsOf(after.events);
  assert.deepEqual(groups, [["frontend"], ["backend"], ["tester"], ["reviewer"]]);
  assert.match(String(ofType(after.events, "coordination_planned")[0]?.data.rationale), /increase_s2_involvement is active/);
  // In the log, each agent finishes before the next one is invoked.
  const lifecycle = after.events.filter((e) => e.event_type === "agent_invoked" || e.event_type === "agent_completed").map((e) => `${e.event_type}:${e.agent}`);
  assert.deepEqual(lifecycle, groups.flat().flatMap((a) => [`agent_invoked:s1-${a}`, `agent_completed:s1-${a}`]));
});

void test("parallelize_s1: agents whose file zones are disjoint share a group and really run at once", async (t) => {
  // backend and tester each wait (bounded) until the other has started — only possible when
  // they run at the same time — once the test has set up the rendezvous.
  const rendezvous = "RENDEZVOUS";
  const p = agentsProject(t, [
    `touch "SIGNALS/$VIABLE_AGENT.started"`,
    `if [ -e SIGNALS/${rendezvous} ] && [ "$VIABLE_AGENT" != reviewer ]; then`,
    `  other=backend; [ "$VIABLE_AGENT" = backend ] && other=tester`,
    `  i=0; while [ ! -e "SIGNALS/$other.started" ] && [ $i -lt 450 ]; do sleep 0.02; i=$((i+1)); done`,
    `  [ -e "SIGNALS/$other.started" ] || { echo "$other never ran alongside" >&2; exit 1; }`,
    `fi`,
    ECHO_AGENT,
  ].join("\n"));
  for (const name of ["backend", "tester", "reviewer"]) {
    const file = `${p.dir}/.viable/agents/${name}.md`;
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replaceAll("SIGNALS", p.signals));
  }
  p.commitAll("signals");
  const task = "Refactor the api for performance";
  const before = await runJson(p, task);
  assert.equal(before.code, 0);
  assert.deepEqual(groupsOf(before.events), [["backend"], ["tester"], ["reviewer"]]);

  for (const f of fs.readdirSync(p.signals)) fs.rmSync(p.sig(f));
  fs.writeFileSync(p.sig(rendezvous), "");
  await seedMetrics(p.dir, { avg_cycle_iterations: 2 });
  const after = await runJson(p, task);
  assert.equal(after.code, 0, JSON.stringify(after.result.s1_results.map((r) => r.error)));
  assert.deepEqual(after.result.adaptations.map((a) => a.type), ["parallelize_s1"]);
  assert.deepEqual(groupsOf(after.events), [["backend", "tester"], ["reviewer"]]);
  assert.equal(ofType(after.events, "allocation_made")[0]?.data.execution_mode, "mixed");
  assert.ok(after.result.s1_results.every((r) => r.success));
});

void test("tighten_s3_star: with no verify command and no detected test command the audit fails", async (t) => {
  const p = agentsProject(t, ECHO_AGENT, {});
  const before = await runJson(p, "Add a greeting function");
  assert.equal(before.code, 0, "without the adaptation, having nothing to verify with is only a finding");
  assert.match(String((ofType(before.events, "audit_performed")[0]?.data.findings as string[])[0]), /no verification command found/);

  await seedMetrics(p.dir, { audit_pass_rate: 0.5 });
  const after = await runJson(p, "Add a greeting function");
  assert.equal(after.code, 1);
  assert.deepEqual(after.result.adaptations.map((a) => a.type), ["tighten_s3_star"]);
  assert.equal(after.result.audit_passed, false);
  assert.ok(after.result.s1_results.every((r) => r.success), "every agent succeeded; the audit alone failed");
  const audit = ofType(after.events, "audit_performed")[0]?.data;
  assert.equal(audit?.strict, true);
  assert.match(String((audit?.findings as string[])[0]), /strict audit \(tighten_s3_star\) requires one/);
  assert.match(after.result.summary, /audit failed: no verification command/);
});

void test("an adaptation whose metric has recovered is cleared: logged, and gone from state", async (t) => {
  const p = agentsProject(t, ECHO_AGENT, {});
  await seedMetrics(p.dir, {
    audit_pass_rate: 0.95,
    agent_errors: { tester: 0.1, "code-writer": 0.25 },
    active_adaptations: [adaptation("tighten_s3_star"), adaptation("add_review_step", { target_agent: "tester" }),
      adaptation("add_review_step", { target_agent: "code-writer" })],
  });
  assert.equal((await stateOf(p.dir)).viability_metrics.active_adaptations.length, 3);

  const { code, events } = await runJson(p, "Add a greeting function with tests");
  assert.equal(code, 0, "tighten_s3_star no longer applies: no verify command is only a finding again");
  const cleared = ofType(events, "adaptation_cleared").map((e) => [e.data.type, e.data.parameters]);
  assert.deepEqual(cleared, [["tighten_s3_star", {}], ["add_review_step", { target_agent: "tester" }]]);
  // code-writer at 0.25 is inside the hysteresis band (cleared below 0.2): its review step stays.
  assert.deepEqual(invokedOrder(events), ["s1-reviewer", "s1-code-writer", "s1-tester"]);
  const state = await stateOf(p.dir);
  assert.deepEqual(state.viability_metrics.active_adaptations.map((a) => [a.type, a.parameters]), [["add_review_step", { target_agent: "code-writer" }]]);
  assert.doesNotMatch((await p.viable("state")).stdout, /tighten_s3_star/);
});
