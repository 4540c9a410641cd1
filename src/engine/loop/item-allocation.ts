// Which agents work on a plan item, in order. The implementing agents come from the item itself when
// it names one, and otherwise from S3 (analysis/allocation.ts) with seed 004's level as the hint
// (low → simple, medium → medium, high → complex). Seed 004's extra steps follow: a high item gets a
// reviewer, a test runner and a verifier; a medium one a test runner. A step whose agent already
// works on the item is not added twice.

import { allocate, type AllocatedAgent } from "../../analysis/allocation.ts";
import { analyze } from "../../analysis/complexity.ts";
import type { AgentRegistry } from "../../agents/registry.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { Adaptation } from "../../domain/viability.ts";
import { itemComplexity, type ItemComplexity, type ItemStep } from "../../plan/item-complexity.ts";
import type { ComplexityLevel, PlanItem } from "../../plan/plan.ts";

export interface ItemStepPlan {
  agent: AgentDefinition;
  role: string;
  focus: string;
}

export interface ItemAllocation {
  complexity: ItemComplexity;
  steps: ItemStepPlan[];
  rationale: string;
}

const HINT: Readonly<Record<ComplexityLevel, string>> = { low: "simple", medium: "medium", high: "complex" };

/** Seed 004's steps and the agents that take them; the verifier is optional (Viable verifies anyway). */
const STEP_AGENT: Readonly<Record<ItemStep, { name: string; focus: string; required: boolean }>> = {
  reviewer: { name: "reviewer", focus: "Review the item's changes for correctness, security and clarity; fix clear defects.", required: true },
  test_runner: { name: "tester", focus: "Write or extend tests for the item's acceptance criteria and run them.", required: true },
  verifier: { name: "verifier", focus: "Check every acceptance criterion of the item against the code and report what is missing.", required: false },
};

/** The text S3 reads for an item: its name and description, and its acceptance criteria. */
export function itemText(item: PlanItem): string {
  return [item.name, item.description, ...item.tests].filter((s) => s.trim() !== "").join("\n");
}

export function allocateItem(item: PlanItem, registry: AgentRegistry, config: ViableConfig, adaptations: readonly Adaptation[] = []): ItemAllocation {
  const complexity = itemComplexity(item);
  const notes: string[] = [`seed 004 complexity ${complexity.level}${complexity.score !== undefined ? ` (score ${complexity.score})` : ""}`];
  let steps: ItemStepPlan[];
  if (item.agent !== undefined) {
    steps = [{ agent: registry.require(item.agent), role: "primary", focus: `Implement ${item.name}.` }];
    notes.push(`the item names its agent: ${item.agent}`);
  } else {
    const assessment = analyze(itemText(item), {
      hint: HINT[complexity.level],
      custom: { ...(config.complexity.keywords ? { keywords: config.complexity.keywords } : {}), ...(config.complexity.domains ? { domains: config.complexity.domains } : {}) },
    });
    const allocation = allocate({ assessment, registry: registry.all(), adaptations });
    steps = allocation.agents.map((a: AllocatedAgent) => ({ agent: registry.require(a.name), role: a.role, focus: a.focus }));
    notes.push(`S3: ${allocation.agents.map((a) => a.name).join(", ")}`);
  }
  for (const step of complexity.steps) {
    const want = STEP_AGENT[step];
    if (steps.some((s) => s.agent.name === want.name)) continue;
    const agent = registry.get(want.name);
    if (agent === undefined) {
      if (want.required) notes.push(`no "${want.name}" agent for the ${step.replace("_", " ")} step`);
      continue;
    }
    steps.push({ agent, role: step === "reviewer" ? "review" : "support", focus: want.focus });
    notes.push(`+${want.name} (${step.replace("_", " ")} step, ${complexity.level} complexity)`);
  }
  return { complexity, steps, rationale: notes.join("; ") };
}
