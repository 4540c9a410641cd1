import assert from "node:assert/strict";
import { it } from "node:test";
import { nextFeature } from "../../src/plan/next-feature.ts";
import { newItem, type Plan, type PlanItem } from "../../src/plan/plan.ts";

function plan(...items: PlanItem[]): Plan {
  return { version: 1, source: { format: "feature-list", file: "feature_list.json" }, items };
}

void it("picks the lowest priority number whose dependencies have all passed", () => {
  const p = plan(
    newItem({ id: "late", name: "Late", priority: 5 }),
    newItem({ id: "waits", name: "Waits", priority: 1, dependencies: ["base"] }),
    newItem({ id: "base", name: "Base", priority: 3 }),
  );
  assert.equal(nextFeature(p)?.id, "base");
  (p.items[2] as PlanItem).status = "passed";
  assert.equal(nextFeature(p)?.id, "waits");
});

void it("skips passed and blocked items, and items depending on a missing one", () => {
  const p = plan(
    newItem({ id: "done", name: "Done", priority: 1, status: "passed" }),
    newItem({ id: "stuck", name: "Stuck", priority: 1, status: "blocked" }),
    newItem({ id: "orphan", name: "Orphan", priority: 1, dependencies: ["ghost"] }),
    newItem({ id: "after-stuck", name: "After stuck", priority: 1, dependencies: ["stuck"] }),
    newItem({ id: "qa-1", name: "QA", priority: 120, dependencies: ["done"] }),
  );
  assert.equal(nextFeature(p)?.id, "qa-1");
});

void it("keeps file order among equal priorities, and defaults missing priorities to 99", () => {
  const p = plan(
    newItem({ id: "no-priority", name: "Default" }),
    newItem({ id: "second", name: "Second", priority: 99 }),
    newItem({ id: "qa", name: "QA", priority: 100 }),
  );
  assert.equal(nextFeature(p)?.id, "no-priority");
});

void it("does not offer an item that is already running, but does offer a failed one again", () => {
  const p = plan(newItem({ id: "busy", name: "Busy", priority: 1, status: "running" }), newItem({ id: "retry", name: "Retry", priority: 2, status: "failed" }));
  assert.equal(nextFeature(p)?.id, "retry");
});

void it("returns nothing when nothing can run", () => {
  assert.equal(nextFeature(plan(newItem({ id: "a", name: "A", status: "blocked" }))), undefined);
});
