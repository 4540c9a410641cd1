// Seed 001's adaptation engine, as pure functions over the metrics. Differences from the original,
// each closing one of its gaps: adaptations are told apart by type AND parameters (the original
// kept one add_review_step in total, dropping the second agent's); active ones are cleared once
// their metric recovers past a hysteresis margin (the original never cleared any); and
// tighten_s3_star and parallelize_s1 have queries like the others.

import { unreachable } from "../domain/errors.ts";
import type { Adaptation, AdaptationType, ViabilityMetrics } from "../domain/viability.ts";
import { recentConflicts } from "./metrics.ts";
import { ADAPTATION_THRESHOLDS, COMPLEXITY_ADJUSTMENT, hasRecovered, isTriggered } from "./thresholds.ts";

/** An adaptation the metrics call for, before it is applied (and so before it has a time). */
export type ProposedAdaptation = Omit<Adaptation, "applied_at">;

export type AdaptationParameters = Adaptation["parameters"];

export interface AppliedAdaptations {
  metrics: ViabilityMetrics;
  /** Newly active, in the order analyzeMetrics proposed them. */
  applied: Adaptation[];
  /** No longer active because their metric recovered. */
  cleared: Adaptation[];
}

/** One metric reading that decides one adaptation. */
interface Reading {
  type: AdaptationType;
  parameters: AdaptationParameters;
  /** How the trigger text names the metric. */
  label: string;
  value: number;
  effect: string;
}

const EFFECTS: Readonly<Record<Exclude<AdaptationType, "add_review_step">, string>> = {
  lower_complexity_threshold: `Lower the complexity thresholds by ${-COMPLEXITY_ADJUSTMENT} so tasks get more capable agents`,
  increase_s2_involvement: "Strengthen S2 coordination between S1 agents (explicit schedule and conflict zones)",
  require_s5_approval: "Require S5 approval of every S3 allocation",
  tighten_s3_star: "Tighten the S3* audit",
  parallelize_s1: "Run independent S1 agents in parallel",
};

function readings(m: ViabilityMetrics): Reading[] {
  // Sorted so that the order of proposals, and so of the persisted list, does not depend on the
  // order in which agents first reported.
  const agents = Object.keys(m.agent_errors).sort();
  const perAgent = agents.map(
    (agent): Reading => ({
      type: "add_review_step",
      parameters: { target_agent: agent },
      label: `agent_error_rate(${agent})`,
      value: m.agent_errors[agent] ?? 0,
      effect: `Run a reviewer before ${agent}`,
    }),
  );
  const single = (type: Exclude<AdaptationType, "add_review_step">, label: string, value: number): Reading => ({
    type,
    parameters: {},
    label,
    value,
    effect: EFFECTS[type],
  });
  return [
    ...perAgent,
    single("lower_complexity_threshold", "completion_rate", m.completion_rate),
    single("increase_s2_involvement", "oscillation_rate", m.oscillation_rate),
    single("require_s5_approval", "recent_s3_s4_conflicts", recentConflicts(m)),
    single("tighten_s3_star", "audit_pass_rate", m.audit_pass_rate),
    single("parallelize_s1", "avg_cycle_iterations", m.avg_cycle_iterations),
  ];
}

/** The reading that governs an active adaptation; undefined when the metric is gone. */
function readingFor(m: ViabilityMetrics, a: Adaptation): number | undefined {
  switch (a.type) {
    case "add_review_step": {
      const agent = a.parameters["target_agent"];
      return typeof agent === "string" ? m.agent_errors[agent] : undefined;
    }
    case "lower_complexity_threshold":
      return m.completion_rate;
    case "increase_s2_involvement":
      return m.oscillation_rate;
    case "require_s5_approval":
      return recentConflicts(m);
    case "tighten_s3_star":
      return m.audit_pass_rate;
    case "parallelize_s1":
      return m.avg_cycle_iterations;
    default:
      // The return type admits undefined, so without this a new type would silently clear.
      return unreachable(a.type);
  }
}

/** Rounded for people, but never rounded onto the threshold it is being compared with. */
function formatReading(value: number, threshold: number): string {
  const rounded = Number(value.toFixed(3));
  return rounded === threshold ? String(value) : String(rounded);
}

export function sameParameters(a: AdaptationParameters, b: AdaptationParameters): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The identity of an adaptation: its type and its parameters (not its texts or time). */
export function sameAdaptation(a: ProposedAdaptation, b: ProposedAdaptation): boolean {
  return a.type === b.type && sameParameters(a.parameters, b.parameters);
}

/** Every adaptation the metrics call for now, active or not, with the seed's strict thresholds. */
export function analyzeMetrics(m: ViabilityMetrics): ProposedAdaptation[] {
  return readings(m)
    .filter((r) => isTriggered(ADAPTATION_THRESHOLDS[r.type], r.value))
    .map((r) => {
      const t = ADAPTATION_THRESHOLDS[r.type];
      const op = t.bad === "above" ? ">" : "<";
      return {
        type: r.type,
        trigger: `${r.label}=${formatReading(r.value, t.trigger)} ${op} ${t.trigger}`,
        effect: r.effect,
        parameters: r.parameters,
      };
    });
}

/**
 * Clears active adaptations whose metric has recovered past the hysteresis margin, then appends
 * the newly called-for ones that are not already active. `last_updated` moves only when the list
 * changes.
 */
export function applyAdaptations(m: ViabilityMetrics, now: Date): AppliedAdaptations {
  const kept: Adaptation[] = [];
  const cleared: Adaptation[] = [];
  for (const a of m.active_adaptations) {
    const reading = readingFor(m, a);
    // A metric that no longer exists shows no problem, so its adaptation goes.
    if (reading === undefined || hasRecovered(ADAPTATION_THRESHOLDS[a.type], reading)) cleared.push(a);
    else kept.push(a);
  }
  const appliedAt = now.toISOString();
  const applied = analyzeMetrics(m)
    .filter((p) => !kept.some((a) => sameAdaptation(a, p)))
    .map((p): Adaptation => ({ ...p, applied_at: appliedAt }));
  if (applied.length === 0 && cleared.length === 0) return { metrics: m, applied, cleared };
  return {
    metrics: { ...m, active_adaptations: [...kept, ...applied], last_updated: appliedAt },
    applied,
    cleared,
  };
}

/** Whether an adaptation of this type is active; with parameters, only one matching them. */
export function isAdaptationActive(m: ViabilityMetrics, type: AdaptationType, parameters?: AdaptationParameters): boolean {
  return m.active_adaptations.some(
    (a) => a.type === type && (parameters === undefined || sameParameters(a.parameters, parameters)),
  );
}

/** A reviewer runs before this agent. */
export function shouldAddReviewStep(m: ViabilityMetrics, agent: string): boolean {
  return isAdaptationActive(m, "add_review_step", { target_agent: agent });
}

export function shouldRequireS5Approval(m: ViabilityMetrics): boolean {
  return isAdaptationActive(m, "require_s5_approval");
}

export function shouldIncreaseS2(m: ViabilityMetrics): boolean {
  return isAdaptationActive(m, "increase_s2_involvement");
}

export function shouldParallelize(m: ViabilityMetrics): boolean {
  return isAdaptationActive(m, "parallelize_s1");
}

export function shouldTightenAudit(m: ViabilityMetrics): boolean {
  return isAdaptationActive(m, "tighten_s3_star");
}

/** Added to the complexity thresholds: negative while lower_complexity_threshold is active. */
export function complexityAdjustment(m: ViabilityMetrics): number {
  return isAdaptationActive(m, "lower_complexity_threshold") ? COMPLEXITY_ADJUSTMENT : 0;
}

/**
 * Removes adaptations by hand: every one of the type, or with parameters only the one matching
 * them. It takes no clock, so `last_updated` is left for the caller to stamp when it persists and
 * logs the clearing.
 */
export function clearAdaptation(m: ViabilityMetrics, type: AdaptationType, parameters?: AdaptationParameters): ViabilityMetrics {
  return {
    ...m,
    active_adaptations: m.active_adaptations.filter(
      (a) => !(a.type === type && (parameters === undefined || sameParameters(a.parameters, parameters))),
    ),
  };
}
