// The planning pipeline's items written in each format `viable plan new --format` offers, then read
// back by Viable's importer for that format: the same items, dependencies, criteria, verify
// commands and agents, whatever the format.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { plannedFiles } from "../../src/app/planned-items.ts";
import { itemsSchema, type PlannedItems } from "../../src/engine/planning/steps.ts";
import { importPlan } from "../../src/plan/import/import-plan.ts";
import { sniffFormat } from "../../src/plan/import/sniff.ts";
import type { PlanFormat } from "../../src/plan/plan.ts";
import { validatePlan } from "../../src/plan/validate.ts";

const items: PlannedItems = itemsSchema.parse({
  items: [
    { id: "db", name: "Database", description: "Add the table.", priority: 0, tests: ["the table exists", "a row round-trips"], verify: ["npm test -- db"], complexity: { score: 3, reasoning: "one table" }, requirements: ["R1"] },
    { id: "route", name: "Route", description: "GET /health.", dependencies: ["db"], priority: 2, tests: ["answers 200"], verify: [], complexity: { score: 8, reasoning: "touches auth" }, agent: "backend" },
  ],
});
const NOW = new Date("2026-11-30T12:00:00Z");

function readBack(format: PlanFormat) {
  const [first, ...rest] = plannedFiles(items, format, NOW);
  const [name, text] = first!;
  assert.equal(sniffFormat(text, name).format, format, "recognised as its format without being told");
  const imported = importPlan(text, name, { format });
  const v = validatePlan(imported, { agents: { names: ["backend"] } });
  assert.deepEqual(v.problems, []);
  return { plan: imported.plan, files: [name, ...rest.map(([n]) => n)], text };
}

void describe("plan new's items in each format", () => {
  for (const format of ["feature-list", "beads"] as const) {
    void it(`${format}: the ids, dependencies, criteria, verify commands and agent come back`, () => {
      const { plan } = readBack(format);
      assert.deepEqual(plan.items.map((i) => [i.id, i.dependencies, i.tests, i.verify, i.agent ?? null, i.status]), [
        ["db", [], ["the table exists", "a row round-trips"], ["npm test -- db"], null, "pending"],
        ["route", ["db"], ["answers 200"], [], "backend", "pending"],
      ]);
      assert.deepEqual(plan.items.map((i) => i.priority), [0, 2]);
    });
  }

  void it("taskmaster: numbered as Task Master numbers tasks, the rest as in the other formats, and the complexity report beside it", () => {
    const { plan, files } = readBack("taskmaster");
    assert.deepEqual(plan.items.map((i) => [i.id, i.name, i.dependencies, i.tests, i.verify, i.agent ?? null, i.complexity]), [
      ["1", "Database", [], ["the table exists", "a row round-trips"], ["npm test -- db"], null, "low"],
      ["2", "Route", ["1"], ["answers 200"], [], "backend", "high"],
    ]);
    assert.deepEqual(files, ["tasks.json", "task-complexity-report.json"]);
    const report = JSON.parse(plannedFiles(items, "taskmaster", NOW)[1]![1]) as { complexityAnalysis: { taskId: number; complexityScore: number; reasoning: string; recommendedSubtasks: number }[] };
    assert.deepEqual(report.complexityAnalysis.map((a) => [a.taskId, a.complexityScore, a.reasoning, a.recommendedSubtasks]), [[1, 3, "one table", 0], [2, 8, "touches auth", 4]]);
  });

  void it("beads: one issue per line as bd exports them, blocking dependencies, checks as verify blocks", () => {
    const { text } = readBack("beads");
    const lines = text.trimEnd().split("\n").map((l: string) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1]!.dependencies, [{ issue_id: "route", depends_on_id: "db", type: "blocks", created_at: NOW.toISOString() }]);
    assert.match(String(lines[0]!.description), /^Add the table\.\n\n```verify\nnpm test -- db\n```$/);
    assert.deepEqual(lines[1]!.labels, ["agent:backend"]);
  });
});
