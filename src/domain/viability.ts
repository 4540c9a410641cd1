// Viability metrics and adaptations (seed 001's algedonic loop), as persisted and exported.

export const ADAPTATION_TYPES = [
  "add_review_step",
  "lower_complexity_threshold",
  "increase_s2_involvement",
  "require_s5_approval",
  "parallelize_s1",
  "tighten_s3_star",
] as const;
export type AdaptationType = (typeof ADAPTATION_TYPES)[number];

export interface Adaptation {
  type: AdaptationType;
  /** The metric reading that triggered it, e.g. "agent_error_rate(tester)=0.36 > 0.3". */
  trigger: string;
  /** What it does to the next cycle, in words. */
  effect: string;
  applied_at: string;
  /** e.g. {target_agent: "tester"} for add_review_step; {} otherwise. */
  parameters: Record<string, string | number | boolean>;
}

export interface ViabilityMetrics {
  window: "last_10_tasks";
  completion_rate: number;
  agent_errors: Record<string, number>;
  oscillation_rate: number;
  audit_pass_rate: number;
  /** All S3/S4 conflicts ever recorded: the seed's count, kept for display. */
  s3_s4_conflicts: number;
  /**
   * Conflicts in roughly the last 10 tasks: +1 per conflict, x0.9 per finished task. Drives
   * require_s5_approval so it can clear, which an all-time count never could. Absent in seed
   * files and older state; readers then fall back to `s3_s4_conflicts`.
   */
  recent_s3_s4_conflicts?: number;
  avg_cycle_iterations: number;
  active_adaptations: Adaptation[];
  last_updated: string;
}

export function initialMetrics(): ViabilityMetrics {
  return {
    window: "last_10_tasks",
    completion_rate: 1.0,
    agent_errors: {},
    oscillation_rate: 0.0,
    audit_pass_rate: 1.0,
    s3_s4_conflicts: 0,
    avg_cycle_iterations: 1.0,
    active_adaptations: [],
    last_updated: "",
  };
}
