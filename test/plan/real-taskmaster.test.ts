// Task Master's own tasks.json, tagged (fixtures/real/README.md).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { exportPlan, importPlan } from "../../src/plan/import/import-plan.ts";
import { exportTaskMaster, importTaskMaster } from "../../src/plan/import/taskmaster.ts";
import type { Plan, PlanItem } from "../../src/plan/plan.ts";
import { validatePlan } from "../../src/plan/validate.ts";
import { fixture } from "./fixture.ts";

const FILE = ".taskmaster/tasks/tasks.json";
const text = fixture("real/taskmaster-tagged.json");
type Tagged = Record<string, { tasks: { id: number | string; status: string; subtasks?: { status: string }[] }[]; metadata: unknown }>;

function item(plan: Plan, id: string): PlanItem {
  const found = plan.items.find((i) => i.id === id);
  assert.ok(found, id);
  return found;
}

void describe("Task Master, tagged, as Task Master keeps its own tasks", () => {
  void it("reads acceptanceCriteria written as one text, a criterion per line", () => {
    const { plan, problems } = importTaskMaster(text, FILE);
    assert.deepEqual(problems.filter((p) => p.severity === "error"), []);
    assert.deepEqual(item(plan, "4.1").tests, [
      "Template structure matches the specification in the PRD",
      "Template includes all required sections (ID, title, status, dependencies, etc.)",
    ]);
  });

  void it("maps statuses faithfully: in-progress is claimed, deferred and cancelled block", () => {
    const { plan } = importTaskMaster(text, FILE);
    assert.deepEqual(
      ["40", "40.1", "32", "35", "4.2"].map((id) => [item(plan, id).status, item(plan, id).claimed ?? item(plan, id).blocked_reason ?? null]),
      [
        ["pending", null],
        ["pending", "in-progress in Task Master"],
        ["blocked", "deferred in Task Master"],
        ["blocked", "cancelled in Task Master"],
        ["passed", null],
      ],
    );
    const review = importTaskMaster(JSON.stringify({ tasks: [{ id: 1, title: "A", status: "review" }] }), FILE).plan.items[0];
    assert.deepEqual([review?.status, review?.claimed], ["pending", "in review in Task Master"]);
    const blocked = importTaskMaster(JSON.stringify({ tasks: [{ id: 1, title: "A", status: "blocked" }] }), FILE).plan.items[0];
    assert.deepEqual([blocked?.status, blocked?.blocked_reason], ["blocked", "blocked in Task Master"]);
  });

  void it("reads the words other tools and agents write into Task Master's file, as Task Master does, with a warning naming the field", () => {
    const file = JSON.stringify({ tasks: [
      { id: 1, title: "A", status: "in_progress", priority: "High" },
      { id: 2, title: "B", status: "completed", priority: "P0" },
      { id: 3, title: "C", status: "wontfix", priority: 4 },
      { id: 4, title: "D", status: "someday", priority: "whenever", subtasks: [{ id: 1, title: "D1" }] },
    ] }, null, 2);
    const imported = importTaskMaster(file, FILE);
    assert.deepEqual(imported.problems.filter((p) => p.severity === "error"), []);
    const { plan } = imported;
    assert.deepEqual(
      ["1", "2", "3", "4", "4.1"].map((id) => [item(plan, id).status, item(plan, id).claimed ?? item(plan, id).blocked_reason ?? null, item(plan, id).priority]),
      [
        ["pending", "in_progress in Task Master", 1],
        ["passed", null, 0],
        ["blocked", "wontfix in Task Master", 4],
        ["pending", null, 2],
        // The subtask inherits its parent's priority, without a second warning.
        ["pending", null, 2],
      ],
    );
    assert.deepEqual(imported.problems.map((p) => [p.severity, p.path]), [
      ["warning", "tasks[0].status"], ["warning", "tasks[0].priority"],
      ["warning", "tasks[1].priority"],
      ["warning", "tasks[2].status"], ["warning", "tasks[2].priority"],
      ["warning", "tasks[3].status"], ["warning", "tasks[3].priority"],
    ]);
    assert.match(imported.problems[0]!.message, /status "in_progress" is not one of Task Master's .*; read as someone's current work/);
    // Export keeps every word whose meaning the loop did not change: the file comes back byte for byte.
    assert.equal(exportTaskMaster(plan, file), file);
  });

  void it("without --tag, says which tag it read and which others there are", () => {
    const imported = importPlan(text, FILE);
    assert.equal(imported.plan.source.tag, "master");
    const warnings = validatePlan(imported).problems.filter((p) => p.kind === "tag_choice");
    assert.deepEqual(warnings.map((p) => [p.severity, p.path, p.message]), [
      ["warning", "master", 'no --tag given: read tag "master"; the file also has "test-tag", "loop" (choose one with --tag)'],
    ]);
    assert.deepEqual(validatePlan(importPlan(text, FILE, { tag: "loop" })).problems, []);
  });

  void it("remembers --tag, and export writes only that tag: every other tag stays exactly as it was", () => {
    const { plan } = importPlan(text, FILE, { tag: "loop" });
    assert.equal(plan.source.tag, "loop");
    // Nothing changed: the file comes back byte for byte.
    assert.equal(exportPlan(plan, text), text);
    // The loop finishes what the `loop` tag had open (ids 11 and 12 are done tasks in `master`).
    for (const i of plan.items) if (i.status !== "passed") i.status = "passed";
    const out = exportPlan(plan, text);
    const before = JSON.parse(text) as Tagged;
    const after = JSON.parse(out) as Tagged;
    assert.deepEqual(after.master, before.master);
    assert.deepEqual(after["test-tag"], before["test-tag"]);
    assert.deepEqual(after.loop?.metadata, before.loop?.metadata);
    assert.deepEqual(after.loop?.tasks.map((t) => t.status), ["done", "done", "done", "done"]);
    // Only status lines changed, and only inside `loop`.
    const start = out.indexOf('"loop": {');
    assert.equal(out.slice(0, start), text.slice(0, text.indexOf('"loop": {')));
  });

  void it("does not write one tag's statuses into master (32 done items once turned pending this way)", () => {
    const { plan } = importTaskMaster(text, FILE, { tag: "loop" });
    // A stored plan from before the tag was kept has no tag: export finds it from the items.
    delete plan.source.tag;
    const out = JSON.parse(exportTaskMaster(plan, text)) as Tagged;
    const master = (JSON.parse(text) as Tagged).master;
    assert.deepEqual(out.master, master);
    assert.equal(exportTaskMaster(plan, text), text);
  });

  void it("refuses to guess when the plan's items do not settle the tag", () => {
    const { plan } = importTaskMaster(text, FILE, { tag: "loop" });
    delete plan.source.tag;
    item(plan, "11").name = "renamed since";
    assert.throws(() => exportTaskMaster(plan, text), (e: unknown) => isUserError(e) && e.reason === "bad_plan" && /cannot tell which tag/.test(e.message) && /--tag/.test(e.fix ?? ""));
    // Told the tag, it writes that one.
    assert.doesNotThrow(() => exportTaskMaster(plan, text, { tag: "loop" }));
  });

  void it("refuses --tag on a file without tags, naming the flag", () => {
    assert.throws(
      () => importTaskMaster(JSON.stringify({ tasks: [] }), FILE, { tag: "loop" }),
      (e: unknown) => isUserError(e) && e.field === "--tag" && /not tags/.test(e.message),
    );
    // Nor is it ignored on a format that has no tags at all.
    for (const [file, other] of [["feature_list.json", JSON.stringify({ features: [{ id: "a", name: "A" }] })], [".beads/issues.jsonl", '{"id":"bd-1","title":"A","status":"open"}\n']] as const) {
      assert.throws(() => importPlan(other, file, { tag: "loop" }), (e: unknown) => isUserError(e) && e.field === "--tag" && /only Task Master files have tags/.test(e.message) && e.fix === "leave out --tag");
      const { plan } = importPlan(other, file);
      assert.throws(() => exportPlan(plan, other, { tag: "loop" }), (e: unknown) => isUserError(e) && e.field === "--tag");
    }
  });

  void it("keeps a file's missing final newline and string dependencies", () => {
    const noNewline = JSON.stringify({ master: { tasks: [{ id: 1, title: "A", status: "pending", dependencies: [] }, { id: 2, title: "B", status: "pending", dependencies: ["1"] }] } }, null, 2);
    const { plan } = importTaskMaster(noNewline, FILE);
    assert.deepEqual(item(plan, "2").dependencies, ["1"]);
    item(plan, "1").status = "passed";
    const out = exportTaskMaster(plan, noNewline);
    assert.equal(out, noNewline.replace('"status": "pending"', '"status": "done"'));
  });

  void it("writes a claimed item that was not run back as it was, and one the loop finished as done", () => {
    const { plan } = importTaskMaster(text, FILE);
    assert.equal(exportTaskMaster(plan, text), text);
    item(plan, "40.1").status = "passed";
    const out = JSON.parse(exportTaskMaster(plan, text)) as Tagged;
    assert.equal(out.master?.tasks.find((t) => t.id === 40)?.subtasks?.[0]?.status, "done");
  });
});
