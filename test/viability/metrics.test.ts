import { test } from "node:test";
import assert from "node:assert/strict";

import { initialMetrics } from "../../src/domain/viability.ts";
import {
  recentConflicts,
  recordAgentResult,
  recordAuditResult,
  recordConflict,
  recordCycleIterations,
  recordOscillation,
  recordTaskCompletion,
} from "../../src/viability/metrics.ts";

const NOW = new Date("2026-01-02T03:04:05.000Z");

function near(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`);
}

void test("agent error rate is an EMA with alpha 0.2, starting from 0 for a new agent", () => {
  let m = recordAgentResult(initialMetrics(), "tester", false, NOW);
  near(m.agent_errors["tester"], 0.2); // 0.2*1 + 0.8*0
  m = recordAgentResult(m, "tester", false, NOW);
  near(m.agent_errors["tester"], 0.36); // 0.2 + 0.8*0.2
  m = recordAgentResult(m, "tester", true, NOW);
  near(m.agent_errors["tester"], 0.288); // 0.8*0.36
  assert.equal(m.agent_errors["code-writer"], undefined);
});

void test("agent results do not touch other agents", () => {
  const m0 = { ...initialMetrics(), agent_errors: { "code-writer": 0.5 } };
  const m = recordAgentResult(m0, "tester", false, NOW);
  assert.equal(m.agent_errors["code-writer"], 0.5);
});

void test("completion rate is an EMA with alpha 0.1", () => {
  let m = recordTaskCompletion(initialMetrics(), false, NOW);
  near(m.completion_rate, 0.9); // 0.1*0 + 0.9*1
  m = recordTaskCompletion(m, false, NOW);
  near(m.completion_rate, 0.81);
  m = recordTaskCompletion(m, true, NOW);
  near(m.completion_rate, 0.829); // 0.1 + 0.9*0.81
});

void test("audit pass rate is an EMA with alpha 0.15", () => {
  let m = recordAuditResult(initialMetrics(), false, NOW);
  near(m.audit_pass_rate, 0.85);
  m = recordAuditResult(m, true, NOW);
  near(m.audit_pass_rate, 0.8725); // 0.15 + 0.85*0.85
});

void test("oscillation rises as 0.15 + 0.85*old and decays as 0.85*old", () => {
  let m = recordOscillation(initialMetrics(), true, NOW);
  near(m.oscillation_rate, 0.15);
  m = recordOscillation(m, true, NOW);
  near(m.oscillation_rate, 0.2775); // 0.15 + 0.85*0.15
  m = recordOscillation(m, false, NOW);
  near(m.oscillation_rate, 0.235875); // 0.85*0.2775
});

void test("a conflict adds to both the all-time count and the recent measure", () => {
  const m = recordConflict(recordConflict(initialMetrics(), NOW), NOW);
  assert.equal(m.s3_s4_conflicts, 2);
  assert.equal(m.recent_s3_s4_conflicts, 2);
});

void test("finished tasks decay recent conflicts by 0.9 but leave the count alone", () => {
  let m = recordConflict(recordConflict(initialMetrics(), NOW), NOW);
  m = recordTaskCompletion(m, true, NOW);
  near(m.recent_s3_s4_conflicts, 1.8);
  m = recordTaskCompletion(m, true, NOW);
  near(m.recent_s3_s4_conflicts, 1.62);
  assert.equal(m.s3_s4_conflicts, 2);
});

void test("metrics from a seed file, without the recent measure, start it from the count", () => {
  const seed = { ...initialMetrics(), s3_s4_conflicts: 5 };
  assert.equal(recentConflicts(seed), 5);
  assert.equal(recordConflict(seed, NOW).recent_s3_s4_conflicts, 6);
  near(recordTaskCompletion(seed, true, NOW).recent_s3_s4_conflicts, 4.5);
});

void test("avg_cycle_iterations is an EMA with alpha 0.1 and really moves", () => {
  let m = recordCycleIterations(initialMetrics(), 3, NOW);
  near(m.avg_cycle_iterations, 1.2); // 0.1*3 + 0.9*1
  m = recordCycleIterations(m, 3, NOW);
  near(m.avg_cycle_iterations, 1.38);
  m = recordCycleIterations(m, 3, NOW);
  near(m.avg_cycle_iterations, 1.542);
  m = recordCycleIterations(m, 1, NOW);
  near(m.avg_cycle_iterations, 1.4878);
});

void test("cycle iterations below 1 or fractional are a bug in the caller", () => {
  assert.throws(() => recordCycleIterations(initialMetrics(), 0, NOW), RangeError);
  assert.throws(() => recordCycleIterations(initialMetrics(), 1.5, NOW), RangeError);
});

void test("every update stamps last_updated from the given clock and leaves the input unchanged", () => {
  const m0 = initialMetrics();
  const updates = [
    recordAgentResult(m0, "a", true, NOW),
    recordTaskCompletion(m0, true, NOW),
    recordAuditResult(m0, true, NOW),
    recordOscillation(m0, false, NOW),
    recordConflict(m0, NOW),
    recordCycleIterations(m0, 1, NOW),
  ];
  for (const m of updates) assert.equal(m.last_updated, "2026-01-02T03:04:05.000Z");
  assert.deepEqual(m0, initialMetrics());
});
