import { test } from "node:test";
import assert from "node:assert/strict";

import { initialMetrics, type ViabilityMetrics } from "../../src/domain/viability.ts";
import { applyAdaptations } from "../../src/viability/adaptation-engine.ts";
import { activeAdaptationLines, healthIssues } from "../../src/viability/health.ts";

function metrics(patch: Partial<ViabilityMetrics>): ViabilityMetrics {
  return { ...initialMetrics(), ...patch };
}

void test("initial metrics are healthy", () => {
  assert.deepEqual(healthIssues(initialMetrics()), []);
});

void test("every problem is listed, in a fixed order, agents by name", () => {
  const m = metrics({
    completion_rate: 0.45,
    audit_pass_rate: 0.7,
    oscillation_rate: 0.25,
    agent_errors: { tester: 0.36, "code-writer": 0.31, documenter: 0.3 },
    s3_s4_conflicts: 7,
    recent_s3_s4_conflicts: 3.0951,
    avg_cycle_iterations: 1.542,
  });
  assert.deepEqual(healthIssues(m), [
    "Low completion rate: 45%",
    "Low audit pass rate: 70%",
    "High oscillation: 25%",
    "Agent code-writer has 31% error rate",
    "Agent tester has 36% error rate",
    "Frequent S3/S4 conflicts: 3.1 in about the last 10 tasks (7 in total)",
    "Many S1 passes per task: 1.54 on average",
  ]);
});

void test("completion warns below 70%, earlier than the adaptation at 50%", () => {
  assert.deepEqual(healthIssues(metrics({ completion_rate: 0.69 })), ["Low completion rate: 69%"]);
  assert.deepEqual(healthIssues(metrics({ completion_rate: 0.7 })), []);
});

void test("thresholds are strict, like the adaptations'", () => {
  const atThresholds = metrics({
    audit_pass_rate: 0.8,
    oscillation_rate: 0.2,
    agent_errors: { tester: 0.3 },
    recent_s3_s4_conflicts: 3,
    avg_cycle_iterations: 1.5,
  });
  assert.deepEqual(healthIssues(atThresholds), []);
});

void test("active adaptations are listed as type: effect", () => {
  const m = applyAdaptations(metrics({ agent_errors: { tester: 0.4 } }), new Date(0)).metrics;
  assert.deepEqual(activeAdaptationLines(m), ["add_review_step: Run a reviewer before tester"]);
});
