// Feature lists as their tools write them (fixtures/real/README.md says where each shape is from).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exportFeatureList, featureIds, importFeatureList } from "../../src/plan/import/feature-list.ts";
import { importPlan } from "../../src/plan/import/import-plan.ts";
import type { Plan, PlanItem } from "../../src/plan/plan.ts";
import { validatePlan } from "../../src/plan/validate.ts";
import { fixture } from "./fixture.ts";

const real = (name: string) => fixture(`real/${name}`);

function item(plan: Plan, id: string): PlanItem {
  const found = plan.items.find((i) => i.id === id);
  assert.ok(found, id);
  return found;
}

/** The lines of `after` that differ from `before` (same line count assumed). */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  return after.split("\n").filter((line, i) => line !== a[i]);
}

void describe("Anthropic's harness form: a top-level array of {category, description, steps, passes}", () => {
  const FILE = "feature_list.json";
  const text = real("harness-feature_list.json");

  void it("imports every feature with an id from its category and description, steps as its tests", () => {
    const imported = importFeatureList(text, FILE);
    assert.deepEqual(validatePlan(imported).problems, []);
    const { plan, locate } = imported;
    assert.deepEqual(plan.items.map((i) => i.status), ["passed", "passed", "pending", "pending"]);
    const arrows = plan.items[2] as PlanItem;
    assert.match(arrows.id, /^f-[0-9a-f]{10}$/);
    assert.equal(arrows.name, "Arrow keys move player character one tile at a time");
    assert.equal(arrows.category, "functional");
    assert.deepEqual(arrows.tests, ["Step 1: Start a new game", "Step 2: Press up arrow key", "Step 3: Verify player moves up one tile"]);
    assert.equal(locate.item(2), "[2]");
    assert.equal(locate.field(2, "steps"), "[2].steps");
  });

  void it("keeps each feature's id when features are inserted or reordered", () => {
    const features = JSON.parse(text) as Record<string, unknown>[];
    const before = new Map(featureIds(features).map((id, i) => [features[i]?.description, id]));
    const moved = [{ category: "functional", description: "A new first feature", steps: [], passes: false }, ...[...features].reverse()];
    const after = featureIds(moved);
    moved.forEach((f, i) => {
      if (before.has(f.description)) assert.equal(after[i], before.get(f.description), String(f.description));
    });
    assert.equal(new Set(after).size, moved.length);
  });

  void it("gives identical features distinct ids, in file order", () => {
    const same = { category: "functional", description: "Same", steps: [], passes: false };
    const [a, b, c] = featureIds([same, same, { ...same, id: "explicit" }]);
    assert.equal(b, `${a as string}-2`);
    assert.equal(c, "explicit");
  });

  void it("exports back to the same array, only `passes` changed, and byte for byte when nothing changed", () => {
    const { plan } = importFeatureList(text, FILE);
    assert.equal(exportFeatureList(plan, text), text);
    (plan.items[2] as PlanItem).status = "passed";
    (plan.items[3] as PlanItem).status = "blocked";
    (plan.items[3] as PlanItem).blocked_reason = "blocked by the loop";
    const out = exportFeatureList(plan, text);
    assert.deepEqual(changedLines(text, out), ['    "passes": true']);
    // A re-import keeps the ids, so the store keeps results by them.
    assert.deepEqual(importFeatureList(out, FILE).plan.items.map((i) => i.id), plan.items.map((i) => i.id));
  });

  void it("is sniffed as a feature list without --format", () => {
    assert.equal(importPlan(text, "plan.json").plan.source.format, "feature-list");
  });
});

void describe("feature lists with status words, titles, word priorities and fields of their own", () => {
  void it("reads status words: completed passes, in-progress and done-uncommitted are claimed, cancelled blocks", () => {
    const { plan, problems } = importFeatureList(real("features-status-words.json"), "feature_list.json");
    assert.deepEqual(problems, []);
    assert.deepEqual(
      plan.items.map((i) => [i.id, i.status, i.claimed ?? null]),
      [
        ["F-01", "passed", null],
        ["F-02", "pending", '"in-progress" in feature_list.json'],
        ["E-02", "blocked", null],
        ["R-06", "pending", null],
        ["R-07", "pending", '"done-uncommitted" in feature_list.json'],
      ],
    );
    assert.equal(item(plan, "E-02").blocked_reason, '"cancelled" in feature_list.json');
    assert.deepEqual(plan.items.map((i) => i.priority), [0, 0, 0, 2, 1]);
    // dependsOn is read as the dependencies, and located where it is written.
    assert.deepEqual(item(plan, "R-07").dependencies, ["R-06"]);
    // `acceptance` as an object is the file's own business, not criteria.
    assert.deepEqual(item(plan, "R-06").tests, []);
  });

  void it("locates dependsOn where it is written", () => {
    const imported = importFeatureList(real("features-status-words.json"), "feature_list.json");
    assert.equal(imported.locate.dependency(4, 0), "features[4].dependsOn[0]");
  });

  void it("writes results in the file's own words and keeps everything else byte for byte", () => {
    const text = real("features-status-words.json");
    const { plan } = importFeatureList(text, "feature_list.json");
    assert.equal(exportFeatureList(plan, text), text);
    item(plan, "R-06").status = "passed";
    item(plan, "F-02").status = "passed";
    const out = exportFeatureList(plan, text);
    // "completed" is the word this file uses for done.
    assert.deepEqual(changedLines(text, out), ['      "status": "completed",', '      "status": "completed",']);
  });

  void it("takes the name from title, keeps inline arrays and Chinese text untouched on export", () => {
    const text = real("features-title-phase.json");
    const { plan, problems } = importFeatureList(text, "feature_list.json");
    assert.deepEqual(problems, []);
    assert.equal(item(plan, "FEAT-002").name, "数据库连接与 Flyway 迁移");
    assert.deepEqual(item(plan, "FEAT-002").tests, ["创建 V1__Init_schema.sql 迁移脚本", "验证 Flyway 迁移执行"]);
    assert.equal(exportFeatureList(plan, text), text);
    item(plan, "FEAT-002").status = "passed";
    assert.deepEqual(changedLines(text, exportFeatureList(plan, text)), ['      "passes": true']);
  });

  void it("reads a top-level array with `status: passing` and `verification`, and writes `passing` back", () => {
    const text = real("features-array-passing.json");
    const { plan } = importFeatureList(text, "feature_list.json");
    assert.deepEqual(plan.items.map((i) => [i.status, i.claimed !== undefined]), [["passed", false], ["pending", true], ["pending", false]]);
    assert.equal(item(plan, "INFRA-001").name, "项目脚手架");
    assert.deepEqual(item(plan, "WEB-008").tests, ["首屏 DOM cue 节点数 ≤ 35", "npm test 通过"]);
    item(plan, "WEB-008").status = "passed";
    assert.deepEqual(changedLines(text, exportFeatureList(plan, text)), ['    "status": "passing",']);
  });

  void it("reads numeric ids as text and writes the status word back where it was", () => {
    const text = real("features-numeric-ids.json");
    const { plan } = importFeatureList(text, "feature_list.json");
    assert.deepEqual(plan.items.map((i) => [i.id, i.status, i.claimed !== undefined]), [["1", "passed", false], ["2", "pending", false], ["3", "pending", true]]);
    assert.deepEqual(item(plan, "1").tests.length, 2);
    item(plan, "2").status = "blocked";
    item(plan, "2").blocked_reason = "blocked by 3";
    assert.deepEqual(changedLines(text, exportFeatureList(plan, text)), ['      "status": "blocked"']);
  });

  void it("reads `state` where other files say `status`, and writes the result back there", () => {
    const text = real("features-state-field.json");
    const imported = importFeatureList(text, "feature_list.json");
    assert.deepEqual(validatePlan(imported).problems, []);
    const { plan } = imported;
    assert.deepEqual(plan.items.map((i) => [i.id, i.status, i.claimed ?? null]), [
      ["ask-002", "passed", null],
      ["import-003", "passed", null],
      ["status-002", "pending", '"in_progress" in feature_list.json'],
    ]);
    // The loop took over and finished the claimed one: its word changes, nothing else.
    const done = { ...plan, items: plan.items.map((i) => (i.id === "status-002" ? { ...i, status: "passed" as const, claimed: undefined } : i)) };
    delete done.items[2]!.claimed;
    assert.deepEqual(changedLines(text, exportFeatureList(done, text)), ['      "state": "passing"']);
  });

  void it("reads `tests` given as the path of a test file or null, as its tool writes it", () => {
    const text = real("features-tests-path.json");
    const imported = importFeatureList(text, "feature_list.json");
    assert.deepEqual(validatePlan(imported).problems, []);
    assert.deepEqual(imported.plan.items.map((i) => i.tests), [
      ["tests/test_nodes.py"], ["tests/test_edges.py"], ["tests/test_graph_store.py"], ["tests/test_neo4j_store.py"], [], ["tests/test_nodes.py"],
    ]);
    assert.deepEqual(imported.plan.items.map((i) => i.status), ["passed", "pending", "passed", "passed", "passed", "passed"]);
  });

  void it("warns about a status or priority word it does not know, at its field", () => {
    const text = JSON.stringify([{ description: "A", status: "wibble", priority: "urgent-ish" }]);
    const { plan, problems } = importFeatureList(text, "f.json");
    assert.equal(plan.items[0]?.status, "pending");
    assert.deepEqual(problems.map((p) => [p.kind, p.severity, p.path]), [["unknown_value", "warning", "[0].priority"], ["unknown_value", "warning", "[0].status"]]);
    // A word it does not know is written back as it was.
    assert.equal(exportFeatureList(plan, text), text);
  });

  void it("names a feature with only a description after its first line", () => {
    const { plan } = importFeatureList(JSON.stringify({ features: [{ id: "a", description: "First line\nmore" }] }), "f.json");
    assert.equal(plan.items[0]?.name, "First line");
  });
});
