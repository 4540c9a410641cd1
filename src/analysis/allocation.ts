// S3 allocation: turns the complexity assessment into an ordered list of agent steps, using only
// agents that exist in the registry and applying the active adaptations that concern S3.

import type { AgentDefinition } from "../domain/agent.ts";
import { UserError } from "../domain/errors.ts";
import type { Adaptation } from "../domain/viability.ts";
import { getAgentRecommendation, type ComplexityAssessment } from "./complexity.ts";

export type StepRole = "primary" | "support" | "review";
export type ExecutionMode = "sequential" | "parallel" | "mixed";

export interface AllocatedAgent {
  /** A registered agent's name. */
  name: string;
  /** 1-based position in the plan. */
  order: number;
  role: StepRole;
  /** What this step is for, in a sentence the agent's prompt can carry. */
  focus: string;
  /** The suggested agent this one replaces when that one is not registered. */
  stands_in_for?: string;
}

export interface Allocation {
  agents: AllocatedAgent[];
  execution_mode: ExecutionMode;
  rationale: string;
  /** Agents a reviewer step was inserted before (add_review_step). */
  inserted_reviews: string[];
}

export interface AllocateInput {
  assessment: ComplexityAssessment;
  registry: readonly AgentDefinition[];
  adaptations: readonly Adaptation[];
}

type Step = Omit<AllocatedAgent, "order">;

export function allocate({ assessment, registry, adaptations }: AllocateInput): Allocation {
  if (registry.length === 0) {
    throw new UserError({
      reason: "unknown_agent",
      message: "no agents are registered, so S3 has nobody to allocate",
      fix: "restore the built-in agents or add an agent file to .viable/agents/",
    });
  }
  const notes: string[] = [];
  const rec = getAgentRecommendation(assessment);
  notes.push(`${capitalize(assessment.complexity)} task (confidence ${assessment.confidence}): the assessment suggests ${assessment.suggested_agents.join(", ")}.`);

  const steps: Step[] = [];
  for (const requested of assessment.suggested_agents) {
    const role: StepRole = isReviewer(requested) ? "review" : rec.primary_agents.includes(requested) ? "primary" : "support";
    addStep(steps, requested, role, registry, notes);
  }

  const inserted = insertReviews(steps, adaptations, registry, notes);

  const writers = steps.filter((s) => s.role !== "review").length;
  const parallelize = adaptations.some((a) => a.type === "parallelize_s1");
  let mode: ExecutionMode = "sequential";
  if ((parallelize || assessment.parallel_possible) && writers > 1) {
    mode = steps.some((s) => s.role === "review") ? "mixed" : "parallel";
    notes.push(parallelize
      ? "parallelize_s1 is active: agents may run at once where S2 finds their files do not overlap."
      : "The work spans several domains, so agents may run at once where S2 finds their files do not overlap.");
    if (mode === "mixed") notes.push("Reviews run alone, after the work they review.");
  } else {
    notes.push(writers > 1 ? "Agents run one after another: the assessment does not call for parallel work." : "Agents run one after another.");
  }

  return {
    agents: steps.map((s, i) => ({ ...s, order: i + 1 })),
    execution_mode: mode,
    rationale: notes.join(" "),
    inserted_reviews: inserted,
  };
}

function isReviewer(name: string): boolean {
  return name === "reviewer";
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Who stands in for a suggested agent that is not registered, in order: an agent whose capabilities
 * name it, then code-writer, then generalist-coder, then any generalist, then the first agent. A
 * missing reviewer is replaced by an agent that can review, else the generalist: a reviewer should
 * not be the agent whose work it reviews, so writers already in the plan are skipped.
 */
function candidates(requested: string, role: StepRole, registry: readonly AgentDefinition[]): string[] {
  const byCapability = (word: string) => registry.filter((a) => a.capabilities.some((c) => c.toLowerCase().includes(word))).map((a) => a.name);
  const generalists = registry.filter((a) => a.kind === "generalist").map((a) => a.name);
  const chain = role === "review"
    ? [requested, ...byCapability("review"), "generalist-coder", ...generalists, "code-writer"]
    : [requested, ...byCapability(requested.toLowerCase()), "code-writer", "generalist-coder", ...generalists];
  chain.push(...registry.map((a) => a.name));
  const registered = new Set(registry.map((a) => a.name));
  return [...new Set(chain)].filter((n) => registered.has(n));
}

function addStep(steps: Step[], requested: string, role: StepRole, registry: readonly AgentDefinition[], notes: string[]): void {
  const options = candidates(requested, role, registry);
  if (role === "review") {
    const writers = new Set(steps.filter((s) => s.role !== "review").map((s) => s.name));
    const name = options.find((n) => !writers.has(n));
    if (name === undefined) {
      notes.push(`"${requested}" is not registered and no other agent is free to review, so there is no review step.`);
      return;
    }
    if (name !== requested) notes.push(`"${requested}" is not registered; ${name} stands in for it.`);
    steps.push(step(name, requested, role));
    return;
  }
  const name = options[0] ?? requested; // the registry is not empty, so options is not either
  if (name !== requested) notes.push(`"${requested}" is not registered; ${name} stands in for it.`);
  const existing = steps.find((s) => s.name === name && s.role !== "review");
  if (existing) {
    // One agent, one step: the same agent twice would race itself for the same files.
    existing.focus = `${existing.focus} Also: ${focusFor(requested, role)}`;
    if (role === "primary") existing.role = "primary";
    return;
  }
  steps.push(step(name, requested, role));
}

function step(name: string, requested: string, role: StepRole): Step {
  const focus = focusFor(requested, role);
  return name === requested ? { name, role, focus } : { name, role, focus: `Standing in for ${requested}: ${focus}`, stands_in_for: requested };
}

const FOCUS: Readonly<Record<string, string>> = {
  "generalist-coder": "Make the change end to end.",
  "code-writer": "Implement the task.",
  tester: "Write and run tests that prove the task is done.",
  reviewer: "Review all changes for correctness, security and clarity.",
  documenter: "Update the documentation to match the change.",
};

function focusFor(requested: string, role: StepRole): string {
  return FOCUS[requested] ?? (role === "review" ? "Review the changes." : `Implement the ${requested} part of the task.`);
}

function insertReviews(steps: Step[], adaptations: readonly Adaptation[], registry: readonly AgentDefinition[], notes: string[]): string[] {
  const inserted: string[] = [];
  for (const a of adaptations) {
    if (a.type !== "add_review_step") continue;
    const target = a.parameters["target_agent"];
    if (typeof target !== "string" || target === "") continue;
    const at = steps.findIndex((s) => s.role !== "review" && (s.name === target || s.stands_in_for === target));
    if (at < 0) {
      notes.push(`add_review_step for ${target} does not apply: ${target} is not in this plan.`);
      continue;
    }
    if (inserted.includes(target)) continue;
    if (steps[at - 1]?.role === "review") {
      notes.push(`add_review_step for ${target} is already met: a review runs right before it.`);
      continue;
    }
    const writers = new Set(steps.filter((s) => s.role !== "review").map((s) => s.name));
    const reviewer = candidates("reviewer", "review", registry).find((n) => !writers.has(n));
    if (reviewer === undefined) {
      notes.push(`add_review_step for ${target} does not apply: no agent other than the writers can review.`);
      continue;
    }
    steps.splice(at, 0, {
      name: reviewer,
      role: "review",
      focus: `Review the work so far before ${target} starts: ${target} has been failing (${a.trigger}); point out what it must get right.`,
      ...(reviewer !== "reviewer" ? { stands_in_for: "reviewer" } : {}),
    });
    inserted.push(target);
    notes.push(`add_review_step is active for ${target}: a review by ${reviewer} runs right before it.`);
  }
  return inserted;
}
