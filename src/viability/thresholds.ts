// When each adaptation switches on, and when it switches off again. Both comparisons are strict.
//
// The `trigger` values are the seed's. The `clear` values add hysteresis: a metric hovering at the
// threshold would otherwise apply and clear the same adaptation on alternate cycles, and each flip
// changes how the next task is run. The margin is 0.1 for the rates, a quarter of the 1 -> 1.5 range
// for iterations, and one conflict for the recent-conflict measure.
//
// | adaptation                 | metric                     | applied when | cleared when |
// |----------------------------|----------------------------|--------------|--------------|
// | add_review_step (per agent)| agent_errors[agent]        | > 0.3        | < 0.2        |
// | lower_complexity_threshold | completion_rate            | < 0.5        | > 0.6        |
// | increase_s2_involvement    | oscillation_rate           | > 0.2        | < 0.1        |
// | require_s5_approval        | recent_s3_s4_conflicts     | > 3          | < 2          |
// | tighten_s3_star            | audit_pass_rate            | < 0.8        | > 0.9        |
// | parallelize_s1             | avg_cycle_iterations       | > 1.5        | < 1.25       |

import type { AdaptationType } from "../domain/viability.ts";

export interface AdaptationThreshold {
  /** "above": a high reading is bad (applied when > trigger); "below": a low reading is bad. */
  bad: "above" | "below";
  trigger: number;
  clear: number;
}

export const ADAPTATION_THRESHOLDS: Readonly<Record<AdaptationType, AdaptationThreshold>> = {
  add_review_step: { bad: "above", trigger: 0.3, clear: 0.2 },
  lower_complexity_threshold: { bad: "below", trigger: 0.5, clear: 0.6 },
  increase_s2_involvement: { bad: "above", trigger: 0.2, clear: 0.1 },
  require_s5_approval: { bad: "above", trigger: 3, clear: 2 },
  tighten_s3_star: { bad: "below", trigger: 0.8, clear: 0.9 },
  parallelize_s1: { bad: "above", trigger: 1.5, clear: 1.25 },
};

/** The reading is past the seed's threshold: the adaptation is called for. */
export function isTriggered(t: AdaptationThreshold, reading: number): boolean {
  return t.bad === "above" ? reading > t.trigger : reading < t.trigger;
}

/** The reading is back past the hysteresis margin: an active adaptation can go. */
export function hasRecovered(t: AdaptationThreshold, reading: number): boolean {
  return t.bad === "above" ? reading < t.clear : reading > t.clear;
}

/** Lowering applied to the complexity thresholds while lower_complexity_threshold is active. */
export const COMPLEXITY_ADJUSTMENT = -0.15;
