// The planning pipeline's items (items.json) written in the format the person chose, as that
// format's own tools write it, so the file works with them too and `viable plan import` reads it:
// - feature-list: feature_list.json ({"features": [...]}, with `verify` and `agent`);
// - taskmaster: Task Master's tagged tasks.json (numeric ids, priorities as words, the criteria in
//   `acceptanceCriteria`, one per line), with the scores beside it as Task Master's task-complexity-report.json;
// - beads: a beads export (issues.jsonl: one issue per line, `blocks` dependencies, the criteria
//   in `acceptance_criteria`, each verify command as a ```verify block of the description).
// Task Master and beads keep fields they do not know, so `verify` and `agent` ride along there as
// Viable's own fields (beads: an `agent:<name>` label).

import type { PlannedItems } from "../engine/planning/steps.ts";
import type { PlanFormat } from "../plan/plan.ts";

type Item = PlannedItems["items"][number];

export const PLANNED_FILES: Readonly<Record<PlanFormat, string>> = { "feature-list": "feature_list.json", taskmaster: "tasks.json", beads: "issues.jsonl" };

/** The files to write into the plan directory (name → content); the first is the one imported. */
export function plannedFiles(items: PlannedItems, format: PlanFormat, now: Date): [string, string][] {
  const at = now.toISOString();
  switch (format) {
    case "feature-list":
      return [[PLANNED_FILES[format], json({ features: items.items.map(feature) })]];
    case "taskmaster": {
      // Task Master numbers its tasks; dependencies follow the numbers.
      const number = new Map(items.items.map((i, n) => [i.id, n + 1]));
      const tasks = items.items.map((i) => task(i, number));
      return [
        [PLANNED_FILES[format], json({ master: { tasks, metadata: { created: at, updated: at, description: "Tasks for master context" } } })],
        ["task-complexity-report.json", json(complexityReport(items, number, at))],
      ];
    }
    case "beads":
      return [[PLANNED_FILES[format], items.items.map((i) => `${JSON.stringify(issue(i, at))}\n`).join("")]];
  }
}

function feature(i: Item): Record<string, unknown> {
  return {
    id: i.id, name: i.name, description: i.description, priority: i.priority, dependencies: i.dependencies, tests: i.tests, verify: i.verify,
    complexity: level(i.complexity.score), passes: false, ...(i.agent !== undefined ? { agent: i.agent } : {}),
  };
}

function task(i: Item, number: ReadonlyMap<string, number>): Record<string, unknown> {
  return {
    id: number.get(i.id), title: i.name, description: i.description, status: "pending",
    dependencies: i.dependencies.map((d) => number.get(d)), priority: ["high", "medium", "low"][Math.min(i.priority, 2)],
    details: i.complexity.reasoning, testStrategy: "", acceptanceCriteria: i.tests.map((t) => `- ${t}`).join("\n"), subtasks: [], complexity: i.complexity.score,
    ...(i.verify.length > 0 ? { verify: i.verify } : {}), ...(i.agent !== undefined ? { agent: i.agent } : {}),
  };
}

/** Task Master's `analyze-complexity` report, which its `expand` reads for subtask counts. */
function complexityReport(items: PlannedItems, number: ReadonlyMap<string, number>, at: string): Record<string, unknown> {
  return {
    meta: { generatedAt: at, tasksAnalyzed: items.items.length, totalTasks: items.items.length, thresholdScore: 8, projectName: "viable plan new" },
    complexityAnalysis: items.items.map((i) => ({
      taskId: number.get(i.id), taskTitle: i.name, complexityScore: i.complexity.score,
      recommendedSubtasks: i.complexity.score >= 8 ? Math.ceil(i.complexity.score / 2) : 0,
      expansionPrompt: `Split "${i.name}" into smaller tasks, each with its own check.`, reasoning: i.complexity.reasoning,
    })),
  };
}

function issue(i: Item, at: string): Record<string, unknown> {
  const description = [i.description, ...i.verify.map((v) => `\`\`\`verify\n${v}\n\`\`\``)].join("\n\n");
  return {
    id: i.id, title: i.name, description, ...(i.tests.length > 0 ? { acceptance_criteria: i.tests.map((t) => `- [ ] ${t}`).join("\n") } : {}),
    status: "open", priority: Math.min(i.priority, 4), issue_type: "task", created_at: at, updated_at: at,
    ...(i.agent !== undefined ? { labels: [`agent:${i.agent}`] } : {}),
    ...(i.dependencies.length > 0 ? { dependencies: i.dependencies.map((d) => ({ issue_id: i.id, depends_on_id: d, type: "blocks", created_at: at })) } : {}),
  };
}

/** The 1–10 score in the words feature lists use. */
function level(score: number): "simple" | "medium" | "complex" {
  return score >= 7 ? "complex" : score >= 4 ? "medium" : "simple";
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
