// Work someone else has claimed, agent names, empty plans, and which item a completion commit is for.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { importPlan } from "../../src/plan/import/import-plan.ts";
import { completionTrailer, itemFingerprint, provesCompletion, trailerFingerprints } from "../../src/plan/item-identity.ts";
import { nextFeature } from "../../src/plan/next-feature.ts";
import { claimedItems, newItem, type Plan, type PlanItem } from "../../src/plan/plan.ts";
import { emptyPlanRefusal } from "../../src/plan/replace-guard.ts";
import { Scheduler } from "../../src/plan/scheduler.ts";
import { planValidationError, validatePlan } from "../../src/plan/validate.ts";
import { fixture } from "./fixture.ts";

function plan(...items: PlanItem[]): Plan {
  return { version: 1, source: { format: "feature-list", file: "feature_list.json" }, items };
}
const item = (id: string, fields: Partial<PlanItem> = {}) => newItem({ id, name: id, priority: 1, ...fields });

void describe("claimed work", () => {
  const p = () =>
    plan(
      item("theirs", { claimed: "in_progress in beads (alice)" }),
      item("after-theirs", { dependencies: ["theirs"] }),
      item("free", { priority: 5 }),
      item("theirs-done", { claimed: "in-progress in Task Master", status: "passed" }),
    );

  void it("the scheduler leaves claimed items alone, and their dependents wait for them", () => {
    const s = new Scheduler(p());
    assert.deepEqual(s.ready(), ["free"]);
    assert.deepEqual(s.take(), ["free"]);
    s.markPassed("free");
    assert.equal(s.done(), true);
    assert.deepEqual(s.leftAlone(), ["theirs"]);
    assert.equal(s.remaining(), 2);
  });

  void it("the scheduler takes them when asked (--include-claimed)", () => {
    const s = new Scheduler(p(), { includeClaimed: true });
    assert.deepEqual(s.take(), ["theirs", "free"]);
    assert.deepEqual(s.leftAlone(), []);
  });

  void it("plan next skips them unless asked, and claimedItems says how many were left alone", () => {
    assert.equal(nextFeature(p())?.id, "free");
    assert.equal(nextFeature(p(), { includeClaimed: true })?.id, "theirs");
    assert.deepEqual(claimedItems(p()).map((i) => i.id), ["theirs"]);
  });

  void it("real files mark in-progress work as claimed: the loop would start only the rest", () => {
    const { plan: tm } = importPlan(fixture("real/taskmaster-tagged.json"), "tasks.json", { tag: "loop" });
    const s = new Scheduler(tm, { graph: validatePlan(tm).graph });
    // Task 11 is in progress in Task Master, and its open subtask 11.3 is part of that work;
    // 12 waits for 11. Nothing is free.
    assert.deepEqual(s.ready(), []);
    assert.deepEqual(s.leftAlone(), ["11", "11.3"]);
    assert.equal(tm.items.find((i) => i.id === "11.3")?.claimed, 'part of "11", in-progress in Task Master');
  });
});

void describe("agent names and empty plans", () => {
  void it("an item naming an agent that does not exist is an error at its field, listing the agents there are", () => {
    const imported = importPlan(JSON.stringify({ features: [{ id: "a", name: "A", agent: "tester" }, { id: "b", name: "B", agent: "reviewr" }] }), "f.json");
    const v = validatePlan(imported, { agents: { names: ["tester", "reviewer", "code-writer"] } });
    assert.equal(v.ok, false);
    assert.deepEqual(v.problems.map((p) => [p.kind, p.path, p.message]), [
      ["unknown_agent", "features[1].agent", '"b" names agent "reviewr", which does not exist; the agents are: code-writer, reviewer, tester'],
    ]);
    // Refused as a UserError naming the file, the field and the fix.
    const e = planValidationError(v, "f.json");
    assert.deepEqual([e.reason, e.file, e.field], ["bad_plan", "f.json", "features[1].agent"]);
    assert.match(e.fix ?? "", /unknown agent/);
    // Without the list, names are not checked.
    assert.equal(validatePlan(imported).ok, true);
  });

  void it("naming a broken agent says why it is broken", () => {
    const v = validatePlan(plan(item("a", { agent: "tester" })), { agents: { names: [], broken: new Map([["tester", ".claude/agents/tester.md (runtime): unknown runtime \"gpt\""]]) } });
    assert.match(v.problems[0]?.message ?? "", /names agent "tester", whose file is broken: .*unknown runtime/);
  });

  void it("an empty plan is a warning, and cannot replace a stored plan without --replace", () => {
    const empty = importPlan("[]", "feature_list.json");
    assert.deepEqual(validatePlan(empty).problems.map((p) => [p.kind, p.severity]), [["empty_plan", "warning"]]);
    assert.equal(emptyPlanRefusal(empty.plan, 0, false), undefined);
    assert.equal(emptyPlanRefusal(empty.plan, 12, true), undefined);
    const refusal = emptyPlanRefusal(empty.plan, 12, false);
    assert.equal(refusal?.reason, "bad_plan");
    assert.equal(refusal?.file, "feature_list.json");
    assert.match(refusal?.message ?? "", /has no items; importing it would replace the stored plan of 12 items/);
    assert.match(refusal?.fix ?? "", /--replace/);
  });
});

void describe("item identity for git-history sync", () => {
  const master = { format: "taskmaster" as const, tag: "master" };
  const loop = { format: "taskmaster" as const, tag: "loop" };
  const task = { id: "11", name: "Implement Batch Operations", description: "Add bulk status updates" };

  void it("is stable for the same work and differs across tags, names and descriptions", () => {
    assert.equal(itemFingerprint(master, task), itemFingerprint(master, { ...task }));
    assert.match(itemFingerprint(master, task), /^[0-9a-f]{16}$/);
    assert.notEqual(itemFingerprint(master, task), itemFingerprint(loop, task));
    assert.notEqual(itemFingerprint(master, task), itemFingerprint(master, { ...task, name: "Implement Loop CLI Command" }));
    assert.notEqual(itemFingerprint(master, task), itemFingerprint(master, { ...task, description: "other" }));
  });

  void it("a commit proves completion only for the item whose fingerprint it carries", () => {
    const message = `session: completed 11\n\n${task.name}\n\n${completionTrailer(loop, task)}\nViable-Attempt: 1\nViable-Run: loop-1\n`;
    assert.deepEqual(trailerFingerprints(message), [itemFingerprint(loop, task)]);
    assert.equal(provesCompletion(message, loop, task), true);
    // Same id, another tag: an older commit does not pass an item this plan never ran.
    assert.equal(provesCompletion(message, master, task), false);
    // Seed 004's bare subject, without the trailer, proves nothing.
    assert.equal(provesCompletion("session: completed 11\n", loop, task), false);
    assert.equal(provesCompletion(message.replace("completed 11", "completed 12"), loop, task), false);
  });
});
