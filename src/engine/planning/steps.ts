// The planning pipeline's steps (seed 004's planning orchestrator): research → requirements → plan
// → phases → items. Each step is one agent's job with one output a person can read and edit in the
// plan directory; the JSON ones have a schema the output must meet before the step counts as done.

import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseStructured } from "./structured-output.ts";

export const PLANNING_STEPS = ["research", "requirements", "plan", "phases", "items"] as const;
export type PlanningStep = (typeof PLANNING_STEPS)[number];

const requirementsSchema = z.object({
  requirements: z.array(z.object({
    id: z.string().min(1),
    text: z.string().min(1),
    acceptance: z.array(z.string().min(1)).min(1),
    /** The words of the request it comes from. */
    source: z.string().min(1),
  })).min(1),
});

const itemSchema = z.object({
  id: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"),
  name: z.string().min(1),
  description: z.string().min(1),
  dependencies: z.array(z.string()).default([]),
  priority: z.number().int().min(0).default(1),
  tests: z.array(z.string().min(1)).default([]),
  verify: z.array(z.string().min(1)).default([]),
  complexity: z.object({ score: z.number().int().min(1).max(10), reasoning: z.string().min(1) }),
  requirements: z.array(z.string()).default([]),
  /** The agent to work it, when the plan names one (an agent of the project). */
  agent: z.string().min(1).optional(),
});

export const itemsSchema = z.object({ items: z.array(itemSchema).min(1) }).superRefine((v, ctx) => {
  const seen = new Set<string>();
  for (const [i, item] of v.items.entries()) {
    if (seen.has(item.id)) ctx.addIssue({ code: "custom", path: ["items", i, "id"], message: `"${item.id}" is used twice` });
    for (const d of item.dependencies) {
      // Only on earlier items: the list is an order a loop can follow, never a cycle.
      if (!seen.has(d)) {
        const later = v.items.some((x) => x.id === d);
        ctx.addIssue({ code: "custom", path: ["items", i, "dependencies"], message: later ? `"${item.id}" depends on "${d}", which comes later: list items after what they depend on` : `"${item.id}" depends on "${d}", which is not an item` });
      }
    }
    seen.add(item.id);
  }
});

export type PlannedItems = z.infer<typeof itemsSchema>;

export interface StepSpec {
  step: PlanningStep;
  /** The output, relative to the plan directory (phases: a directory of NN-name.md files). */
  output: string;
  /** What the agent is asked to do, given the plan directory. */
  task(dir: string): string;
  /** null when the output is good; else the problem, in words for the agent. */
  check(dir: string): string | null;
  /** A few lines on what the (checked) output holds, for the person who approves it. */
  summary(dir: string): string;
}

const markdown = (file: string) => (dir: string): string | null => {
  const text = readOrNull(path.join(dir, file));
  return text === null ? `${file} was not written` : text.trim() === "" ? `${file} is empty` : null;
};

const json = (file: string, schema: z.ZodType) => (dir: string): string | null => {
  const text = readOrNull(path.join(dir, file));
  if (text === null) return `${file} was not written`;
  const parsed = parseStructured(text, schema);
  if (!parsed.ok) return `${file}: ${parsed.problem}`;
  // Unwrapped (a fence, a sentence around it): kept as the plain JSON people and tools read.
  if (parsed.unwrapped) fs.writeFileSync(path.join(dir, file), `${JSON.stringify(parsed.raw, null, 2)}\n`);
  return null;
};

export const STEP_SPECS: Readonly<Record<PlanningStep, StepSpec>> = {
  research: {
    step: "research", output: "research.md",
    task: (dir) => `Research this repository for the request in ${path.join(dir, "request.md")}. Write ${path.join(dir, "research.md")}: what exists that the request touches, where (file paths), how it works, and what is missing. Change no other file.`,
    check: markdown("research.md"),
    summary: (dir) => markdownSummary(path.join(dir, "research.md")),
  },
  requirements: {
    step: "requirements", output: "requirements.json",
    task: (dir) => `From ${path.join(dir, "request.md")} and ${path.join(dir, "research.md")}, write the requirements to ${path.join(dir, "requirements.json")} as JSON only: {"requirements": [{"id": "R1", "text": "...", "acceptance": ["..."], "source": "the words of the request it comes from"}]}. Change no other file.`,
    check: json("requirements.json", requirementsSchema),
    summary: (dir) => {
      const r = parsed(path.join(dir, "requirements.json"), requirementsSchema)?.requirements ?? [];
      return [`${r.length} requirement${r.length === 1 ? "" : "s"}:`, ...r.map((x) => `  ${x.id} ${x.text} (${x.acceptance.length} acceptance criteri${x.acceptance.length === 1 ? "on" : "a"})`)].join("\n");
    },
  },
  plan: {
    step: "plan", output: "plan.md",
    task: (dir) => `From the request, ${path.join(dir, "research.md")} and ${path.join(dir, "requirements.json")}, write ${path.join(dir, "plan.md")}: the approach, the risks, and the decisions with their reasons. Change no other file.`,
    check: markdown("plan.md"),
    summary: (dir) => markdownSummary(path.join(dir, "plan.md")),
  },
  phases: {
    step: "phases", output: "phases",
    task: (dir) => `From ${path.join(dir, "plan.md")}, write the phases of the work as files ${path.join(dir, "phases")}/NN-name.md (01-..., 02-...), each saying what the phase delivers and how to know it is done. Change no other file.`,
    check: (dir) => (phaseFiles(dir).length > 0 ? null : "no phase file phases/NN-name.md was written"),
    summary: (dir) => {
      const files = phaseFiles(dir);
      return [`${files.length} phase${files.length === 1 ? "" : "s"}:`, ...files.map((f) => `  ${f}`)].join("\n");
    },
  },
  items: {
    step: "items", output: "items.json",
    task: (dir) => `From ${path.join(dir, "plan.md")} and the phases in ${path.join(dir, "phases")}, write the work items to ${path.join(dir, "items.json")} as JSON only: {"items": [{"id": "setup-db", "name": "...", "description": "...", "dependencies": ["ids of EARLIER items only"], "priority": 1, "tests": ["acceptance criteria in words"], "verify": ["shell commands that pass when it is done, where they can be stated"], "complexity": {"score": 1-10, "reasoning": "..."}, "requirements": ["R1"]}]}; add "agent": "<name>" to an item only to name one of the project's agents. Split any item scoring 8 or more into smaller ones. Change no other file.`,
    check: json("items.json", itemsSchema),
    summary: (dir) => {
      const items = parsed(path.join(dir, "items.json"), itemsSchema)?.items ?? [];
      const lines = items.map((i) => `  ${i.id}: ${i.name} (complexity ${i.complexity.score}${i.dependencies.length ? `, after ${i.dependencies.join(", ")}` : ""}${i.verify.length ? `, ${i.verify.length} verify` : ""}${i.agent ? `, by ${i.agent}` : ""})`);
      return [`${items.length} item${items.length === 1 ? "" : "s"}:`, ...lines].join("\n");
    },
  },
};

function phaseFiles(dir: string): string[] {
  const phases = path.join(dir, "phases");
  return fs.existsSync(phases) ? fs.readdirSync(phases).filter((f) => /^\d+-.+\.md$/.test(f)).sort() : [];
}

/** Its length and its first headings: enough to know what to open. */
function markdownSummary(file: string): string {
  const text = readOrNull(file) ?? "";
  const lines = text.split("\n");
  const headings = lines.filter((l) => /^#{1,3} /.test(l)).slice(0, 6).map((l) => `  ${l.trim()}`);
  return [`${path.basename(file)}: ${lines.filter((l) => l.trim() !== "").length} lines${headings.length ? "; headings:" : ""}`, ...headings].join("\n");
}

function parsed<T>(file: string, schema: z.ZodType<T>): T | null {
  const text = readOrNull(file);
  if (text === null) return null;
  const r = parseStructured(text, schema);
  return r.ok ? r.value : null;
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}
