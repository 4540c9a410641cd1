import { test } from "node:test";
import assert from "node:assert/strict";

import { initialMetrics, type Adaptation, type AdaptationType, type ViabilityMetrics } from "../../src/domain/viability.ts";
import {
  analyzeMetrics,
  applyAdaptations,
  clearAdaptation,
  complexityAdjustment,
  shouldAddReviewStep,
  shouldIncreaseS2,
  shouldParallelize,
  shouldRequireS5Approval,
  shouldTightenAudit,
} from "../../src/viability/adaptation-engine.ts";
import { recordConflict, recordOscillation, recordTaskCompletion } from "../../src/viability/metrics.ts";

const T0 = new Date("2026-01-01T00:00:00.000Z");
const T1 = new Date("2026-01-01T01:00:00.000Z");
const EPS = 1e-6;

function metrics(patch: Partial<ViabilityMetrics>): ViabilityMetrics {
  return { ...initialMetrics(), ...patch };
}

/** One row per adaptation: how to set its metric, the seed threshold, and which side is bad. */
interface Case {
  type: AdaptationType;
  set: (v: number) => ViabilityMetrics;
  trigger: number;
  clear: number;
  bad: 1 | -1;
}

const CASES: Case[] = [
  { type: "add_review_step", set: (v) => metrics({ agent_errors: { tester: v } }), trigger: 0.3, clear: 0.2, bad: 1 },
  { type: "lower_complexity_threshold", set: (v) => metrics({ completion_rate: v }), trigger: 0.5, clear: 0.6, bad: -1 },
  { type: "increase_s2_involvement", set: (v) => metrics({ oscillation_rate: v }), trigger: 0.2, clear: 0.1, bad: 1 },
  { type: "require_s5_approval", set: (v) => metrics({ recent_s3_s4_conflicts: v }), trigger: 3, clear: 2, bad: 1 },
  { type: "tighten_s3_star", set: (v) => metrics({ audit_pass_rate: v }), trigger: 0.8, clear: 0.9, bad: -1 },
  { type: "parallelize_s1", set: (v) => metrics({ avg_cycle_iterations: v }), trigger: 1.5, clear: 1.25, bad: 1 },
];

function types(list: readonly { type: AdaptationType }[]): AdaptationType[] {
  return list.map((a) => a.type);
}

void test("healthy initial metrics call for nothing", () => {
  assert.deepEqual(analyzeMetrics(initialMetrics()), []);
});

for (const c of CASES) {
  void test(`${c.type}: strict threshold ${c.trigger}`, () => {
    assert.deepEqual(types(analyzeMetrics(c.set(c.trigger + c.bad * EPS))), [c.type], "just past the threshold");
    assert.deepEqual(analyzeMetrics(c.set(c.trigger)), [], "at the threshold");
    assert.deepEqual(analyzeMetrics(c.set(c.trigger - c.bad * EPS)), [], "just inside the threshold");
  });

  void test(`${c.type}: stays active in the hysteresis band and clears past ${c.clear}`, () => {
    const on = applyAdaptations(c.set(c.trigger + c.bad * 0.1), T0);
    assert.deepEqual(types(on.applied), [c.type]);

    const band = applyAdaptations({ ...c.set(c.trigger - c.bad * EPS), active_adaptations: on.metrics.active_adaptations }, T1);
    assert.deepEqual(band.applied, []);
    assert.deepEqual(band.cleared, []);
    assert.deepEqual(types(band.metrics.active_adaptations), [c.type]);

    const atClear = applyAdaptations({ ...c.set(c.clear), active_adaptations: on.metrics.active_adaptations }, T1);
    assert.deepEqual(atClear.cleared, [], "the clear bound is strict too");

    const off = applyAdaptations({ ...c.set(c.clear - c.bad * EPS), active_adaptations: on.metrics.active_adaptations }, T1);
    assert.deepEqual(off.cleared, on.applied);
    assert.deepEqual(off.metrics.active_adaptations, []);
  });
}

void test("trigger and effect texts show the reading", () => {
  const [a] = analyzeMetrics(metrics({ agent_errors: { tester: 0.36 } }));
  assert.deepEqual(a, {
    type: "add_review_step",
    trigger: "agent_error_rate(tester)=0.36 > 0.3",
    effect: "Run a reviewer before tester",
    parameters: { target_agent: "tester" },
  });
  const [b] = analyzeMetrics(metrics({ completion_rate: 0.45 }));
  assert.equal(b?.trigger, "completion_rate=0.45 < 0.5");
  const [c] = analyzeMetrics(metrics({ recent_s3_s4_conflicts: 3.0951 }));
  assert.equal(c?.trigger, "recent_s3_s4_conflicts=3.095 > 3");
});

void test("a reading that rounds onto the threshold is printed in full", () => {
  const [a] = analyzeMetrics(metrics({ oscillation_rate: 0.2000001 }));
  assert.equal(a?.trigger, "oscillation_rate=0.2000001 > 0.2");
});

void test("one review step per agent, in agent-name order", () => {
  const m = metrics({ agent_errors: { tester: 0.5, "code-writer": 0.4, documenter: 0.1 } });
  const { applied } = applyAdaptations(m, T0);
  assert.deepEqual(
    applied.map((a) => a.parameters),
    [{ target_agent: "code-writer" }, { target_agent: "tester" }],
  );
  assert.ok(applied.every((a) => a.applied_at === "2026-01-01T00:00:00.000Z"));
});

void test("applying again adds nothing: dedup is by type and parameters", () => {
  const first = applyAdaptations(metrics({ agent_errors: { tester: 0.5 }, audit_pass_rate: 0.5 }), T0);
  assert.equal(first.metrics.active_adaptations.length, 2);
  assert.equal(first.metrics.last_updated, "2026-01-01T00:00:00.000Z");

  const again = applyAdaptations(first.metrics, T1);
  assert.deepEqual(again.applied, []);
  assert.deepEqual(again.cleared, []);
  assert.deepEqual(again.metrics, first.metrics, "nothing changed, not even last_updated");

  // A second agent going bad is a new adaptation of the same type, not a duplicate.
  const second = applyAdaptations({ ...first.metrics, agent_errors: { tester: 0.5, "code-writer": 0.5 } }, T1);
  assert.deepEqual(
    second.applied.map((a) => [a.type, a.parameters]),
    [["add_review_step", { target_agent: "code-writer" }]],
  );
  assert.equal(second.metrics.active_adaptations.length, 3);
});

void test("review step hysteresis: 0.4 applies, 0.25 keeps it, 0.15 clears it", () => {
  const on = applyAdaptations(metrics({ agent_errors: { tester: 0.4 } }), T0).metrics;
  assert.ok(shouldAddReviewStep(on, "tester"));
  const kept = applyAdaptations({ ...on, agent_errors: { tester: 0.25 } }, T1).metrics;
  assert.ok(shouldAddReviewStep(kept, "tester"));
  const off = applyAdaptations({ ...kept, agent_errors: { tester: 0.15 } }, T1);
  assert.equal(shouldAddReviewStep(off.metrics, "tester"), false);
  assert.deepEqual(off.cleared.map((a) => a.parameters), [{ target_agent: "tester" }]);
  assert.equal(off.metrics.last_updated, "2026-01-01T01:00:00.000Z");
});

void test("clearing one agent's review step keeps the other agent's", () => {
  const on = applyAdaptations(metrics({ agent_errors: { tester: 0.4, "code-writer": 0.4 } }), T0).metrics;
  const r = applyAdaptations({ ...on, agent_errors: { tester: 0.1, "code-writer": 0.4 } }, T1);
  assert.ok(shouldAddReviewStep(r.metrics, "code-writer"));
  assert.equal(shouldAddReviewStep(r.metrics, "tester"), false);
});

void test("a review step for an agent with no error reading is cleared", () => {
  const on = applyAdaptations(metrics({ agent_errors: { tester: 0.4 } }), T0).metrics;
  const r = applyAdaptations({ ...on, agent_errors: {} }, T1);
  assert.deepEqual(r.metrics.active_adaptations, []);
  assert.equal(r.cleared.length, 1);
});

void test("require_s5_approval from real conflicts clears after clean tasks; the count stays", () => {
  let m = initialMetrics();
  for (let i = 0; i < 4; i++) m = recordTaskCompletion(recordConflict(m, T0), true, T0);
  // recent = ((((0.9)+1)*0.9+1)*0.9+1)*0.9 = 3.0951
  m = applyAdaptations(m, T0).metrics;
  assert.ok(shouldRequireS5Approval(m));

  let cleanTasks = 0;
  while (shouldRequireS5Approval(m)) {
    m = applyAdaptations(recordTaskCompletion(m, true, T1), T1).metrics;
    cleanTasks++;
  }
  // 3.0951 * 0.9^n < 2 first holds at n = 5 (n = 4 gives 2.0307).
  assert.equal(cleanTasks, 5);
  assert.equal(m.s3_s4_conflicts, 4);
});

void test("a seed file's conflict count triggers require_s5_approval until it decays", () => {
  const seed = metrics({ s3_s4_conflicts: 4 });
  assert.deepEqual(types(analyzeMetrics(seed)), ["require_s5_approval"]);
  assert.deepEqual(analyzeMetrics(metrics({ s3_s4_conflicts: 3 })), []);
});

void test("increase_s2_involvement clears once oscillation stops", () => {
  let m = initialMetrics();
  m = recordOscillation(recordOscillation(m, true, T0), true, T0); // 0.2775
  m = applyAdaptations(m, T0).metrics;
  assert.ok(shouldIncreaseS2(m));
  let cleanAudits = 0;
  while (shouldIncreaseS2(m)) {
    m = applyAdaptations(recordOscillation(m, false, T1), T1).metrics;
    cleanAudits++;
  }
  // 0.2775 * 0.85^n < 0.1 first holds at n = 7 (n = 6 gives 0.1047).
  assert.equal(cleanAudits, 7);
});

void test("queries reflect the active adaptations", () => {
  const bad = metrics({
    agent_errors: { tester: 0.9 },
    completion_rate: 0.1,
    oscillation_rate: 0.9,
    recent_s3_s4_conflicts: 9,
    audit_pass_rate: 0.1,
    avg_cycle_iterations: 3,
  });
  // Analysis alone changes nothing: the queries read what is active.
  assert.equal(shouldTightenAudit(bad), false);
  assert.equal(complexityAdjustment(bad), 0);

  const m = applyAdaptations(bad, T0).metrics;
  assert.equal(m.active_adaptations.length, 6);
  assert.ok(shouldAddReviewStep(m, "tester"));
  assert.equal(shouldAddReviewStep(m, "code-writer"), false);
  assert.ok(shouldRequireS5Approval(m));
  assert.ok(shouldIncreaseS2(m));
  assert.ok(shouldParallelize(m));
  assert.ok(shouldTightenAudit(m));
  assert.equal(complexityAdjustment(m), -0.15);
});

void test("clearAdaptation removes by type, or only the one matching the parameters", () => {
  const m = applyAdaptations(metrics({ agent_errors: { tester: 0.9, "code-writer": 0.9 }, audit_pass_rate: 0.1 }), T0).metrics;

  const one = clearAdaptation(m, "add_review_step", { target_agent: "tester" });
  assert.equal(shouldAddReviewStep(one, "tester"), false);
  assert.ok(shouldAddReviewStep(one, "code-writer"));
  assert.ok(shouldTightenAudit(one));

  const all = clearAdaptation(m, "add_review_step");
  assert.deepEqual(types(all.active_adaptations), ["tighten_s3_star"]);
  assert.equal(m.active_adaptations.length, 3, "the input is not modified");
});

void test("an adaptation persisted by the seed (one review step, no others) is kept while still needed", () => {
  const seedAdaptation: Adaptation = {
    type: "add_review_step",
    trigger: "Agent tester error rate 35%",
    effect: "Add reviewer before tester",
    applied_at: "2025-12-01T00:00:00Z",
    parameters: { target_agent: "tester" },
  };
  const r = applyAdaptations(metrics({ agent_errors: { tester: 0.35 }, active_adaptations: [seedAdaptation] }), T0);
  assert.deepEqual(r.applied, []);
  assert.deepEqual(r.metrics.active_adaptations, [seedAdaptation]);
});
