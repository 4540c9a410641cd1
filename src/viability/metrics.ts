// Pure updates of the viability metrics (seed 001's algedonic signals). Each returns a new object
// and stamps `last_updated` with `now`, which the caller takes from its clock so that these stay
// deterministic; the engine persists the result.
//
// All rates are exponential moving averages, new = alpha * sample + (1 - alpha) * old. The seed's
// window is "last_10_tasks": alpha = 0.1 weights roughly the last ten samples.

import type { ViabilityMetrics } from "../domain/viability.ts";

/** Smoothing factors. The first four are the seed's; the iteration one is ours (see below). */
export const EMA_ALPHA = {
  agentError: 0.2,
  completion: 0.1,
  auditPass: 0.15,
  oscillation: 0.15,
  cycleIterations: 0.1,
} as const;

/**
 * What is left of the recent-conflict measure after each finished task. 0.9 = 1 - the completion
 * alpha, so conflicts are forgotten at the same pace as failures: one conflict per task settles
 * near 10, i.e. the measure reads as "conflicts in about the last 10 tasks".
 */
export const RECENT_CONFLICT_DECAY = 0.9;

function ema(old: number, sample: number, alpha: number): number {
  return alpha * sample + (1 - alpha) * old;
}

/** The conflict reading adaptations use; seed files lack the field, so their count stands in. */
export function recentConflicts(m: ViabilityMetrics): number {
  return m.recent_s3_s4_conflicts ?? m.s3_s4_conflicts;
}

/** An agent's error rate moves toward 1 on failure, toward 0 on success (alpha 0.2). */
export function recordAgentResult(m: ViabilityMetrics, agent: string, success: boolean, now: Date): ViabilityMetrics {
  // An agent never seen before starts at 0: no evidence of errors yet.
  const old = m.agent_errors[agent] ?? 0;
  return {
    ...m,
    agent_errors: { ...m.agent_errors, [agent]: ema(old, success ? 0 : 1, EMA_ALPHA.agentError) },
    last_updated: now.toISOString(),
  };
}

/**
 * A task finished (success = every S1 agent succeeded and the audit passed). A finished task is
 * also the window's tick, so the recent-conflict measure decays here.
 */
export function recordTaskCompletion(m: ViabilityMetrics, success: boolean, now: Date): ViabilityMetrics {
  return {
    ...m,
    completion_rate: ema(m.completion_rate, success ? 1 : 0, EMA_ALPHA.completion),
    recent_s3_s4_conflicts: recentConflicts(m) * RECENT_CONFLICT_DECAY,
    last_updated: now.toISOString(),
  };
}

export function recordAuditResult(m: ViabilityMetrics, passed: boolean, now: Date): ViabilityMetrics {
  return {
    ...m,
    audit_pass_rate: ema(m.audit_pass_rate, passed ? 1 : 0, EMA_ALPHA.auditPass),
    last_updated: now.toISOString(),
  };
}

/**
 * Call once per audit. The seed's `0.15 + 0.85 * old` is the EMA toward 1; it never decayed, so
 * increase_s2_involvement could never clear. A clean audit now moves the rate toward 0 the same
 * way (`0.85 * old`).
 */
export function recordOscillation(m: ViabilityMetrics, occurred: boolean, now: Date): ViabilityMetrics {
  return {
    ...m,
    oscillation_rate: ema(m.oscillation_rate, occurred ? 1 : 0, EMA_ALPHA.oscillation),
    last_updated: now.toISOString(),
  };
}

/**
 * An S3/S4 disagreement. `s3_s4_conflicts` stays the seed's all-time count; the recent measure
 * (which decays in recordTaskCompletion) is what require_s5_approval reads.
 */
export function recordConflict(m: ViabilityMetrics, now: Date): ViabilityMetrics {
  return {
    ...m,
    s3_s4_conflicts: m.s3_s4_conflicts + 1,
    recent_s3_s4_conflicts: recentConflicts(m) + 1,
    last_updated: now.toISOString(),
  };
}

/**
 * How many passes S1 needed for one task: 1, plus one per re-run, retry or review loop. The seed
 * declared `avg_cycle_iterations` but never updated it, so parallelize_s1 could never fire.
 * Alpha 0.1: one sample per task, like the completion rate.
 */
export function recordCycleIterations(m: ViabilityMetrics, iterations: number, now: Date): ViabilityMetrics {
  if (!Number.isInteger(iterations) || iterations < 1) {
    // The engine counts passes; anything else is a bug there, not a user mistake.
    throw new RangeError(`cycle iterations must be an integer >= 1, got ${iterations}`);
  }
  return {
    ...m,
    avg_cycle_iterations: ema(m.avg_cycle_iterations, iterations, EMA_ALPHA.cycleIterations),
    last_updated: now.toISOString(),
  };
}
