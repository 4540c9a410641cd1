// Human-readable health issues for `viable state`, after seed 001's monitoring example.
//
// The first four checks and their thresholds are the seed's. The completion warning (< 70%) fires
// before the adaptation does (< 50%) on purpose: it is an early warning for a person. The last two
// checks, absent from the seed's example, reuse the adaptation thresholds so that every active
// adaptation is explained by an issue when it is applied.

import type { ViabilityMetrics } from "../domain/viability.ts";
import { recentConflicts } from "./metrics.ts";
import { ADAPTATION_THRESHOLDS } from "./thresholds.ts";

export const HEALTH_THRESHOLDS = {
  completionRateBelow: 0.7,
  auditPassRateBelow: ADAPTATION_THRESHOLDS.tighten_s3_star.trigger,
  oscillationRateAbove: ADAPTATION_THRESHOLDS.increase_s2_involvement.trigger,
  agentErrorRateAbove: ADAPTATION_THRESHOLDS.add_review_step.trigger,
  recentConflictsAbove: ADAPTATION_THRESHOLDS.require_s5_approval.trigger,
  cycleIterationsAbove: ADAPTATION_THRESHOLDS.parallelize_s1.trigger,
} as const;

function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`;
}

/** One line per problem, in a fixed order; empty when healthy. */
export function healthIssues(m: ViabilityMetrics): string[] {
  const t = HEALTH_THRESHOLDS;
  const issues: string[] = [];
  if (m.completion_rate < t.completionRateBelow) issues.push(`Low completion rate: ${percent(m.completion_rate)}`);
  if (m.audit_pass_rate < t.auditPassRateBelow) issues.push(`Low audit pass rate: ${percent(m.audit_pass_rate)}`);
  if (m.oscillation_rate > t.oscillationRateAbove) issues.push(`High oscillation: ${percent(m.oscillation_rate)}`);
  for (const agent of Object.keys(m.agent_errors).sort()) {
    const rate = m.agent_errors[agent] ?? 0;
    if (rate > t.agentErrorRateAbove) issues.push(`Agent ${agent} has ${percent(rate)} error rate`);
  }
  const recent = recentConflicts(m);
  if (recent > t.recentConflictsAbove) {
    issues.push(`Frequent S3/S4 conflicts: ${recent.toFixed(1)} in about the last 10 tasks (${m.s3_s4_conflicts} in total)`);
  }
  if (m.avg_cycle_iterations > t.cycleIterationsAbove) {
    issues.push(`Many S1 passes per task: ${m.avg_cycle_iterations.toFixed(2)} on average`);
  }
  return issues;
}

/** The seed's "Active Adaptations" lines: `type: effect`. */
export function activeAdaptationLines(m: ViabilityMetrics): string[] {
  return m.active_adaptations.map((a) => `${a.type}: ${a.effect}`);
}
