import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { importPlan } from "../../src/plan/import/import-plan.ts";
import { newItem, type Plan } from "../../src/plan/plan.ts";
import { assertValidPlan, planValidationError, validatePlan } from "../../src/plan/validate.ts";
import { fixture } from "./fixture.ts";

const FILE = "bad_feature_list.json";

function plan(items: Plan["items"]): Plan {
  return { version: 1, source: { format: "feature-list", file: "plan.json" }, items };
}

void describe("validatePlan", () => {
  void it("reports every problem at once, each at its file and field path", () => {
    const v = validatePlan(importPlan(fixture(FILE), FILE));
    assert.equal(v.ok, false);
    assert.deepEqual(
      v.problems.map((p) => [p.kind, p.severity, p.path]),
      [
        ["schema", "error", "features[1].name"],
        ["duplicate_id", "error", "features[3].id"],
        ["unknown_dependency", "error", "features[2].dependencies[1]"],
        ["self_dependency", "error", "features[4].dependencies[0]"],
        ["cycle", "error", "features[5].dependencies[0]"],
        ["blocked_by", "warning", "features[9].dependencies[1]"],
        ["blocked_by", "warning", "features[10].dependencies[0]"],
      ],
    );
    assert.ok(v.problems.every((p) => p.file === FILE));
    assert.equal(v.errorCount, 5);
    assert.equal(v.warningCount, 2);
  });

  void it("says what is wrong in each message", () => {
    const messages = validatePlan(importPlan(fixture(FILE), FILE)).problems.map((p) => p.message);
    assert.match(messages[1] ?? "", /^duplicate id "setup" \(first used at features\[0\]\)$/);
    assert.equal(messages[2], '"api" depends on "feature-999", which is not an item in this plan');
    assert.equal(messages[3], '"loop" depends on itself');
    assert.equal(messages[5], '"payments" is blocked by "vendor" (waiting for API keys); it cannot run until that is unblocked');
    assert.equal(messages[6], '"refunds" is blocked by "vendor" (waiting for API keys) through "payments"; it cannot run until that is unblocked');
  });

  void it("prints a cycle as its path", () => {
    const cycle = validatePlan(importPlan(fixture(FILE), FILE)).problems.find((p) => p.kind === "cycle");
    assert.deepEqual(cycle?.cycle, ["a", "b", "c", "a"]);
    assert.equal(cycle?.message, "dependency cycle: a → b → c → a (each depends on the next; none can start)");
  });

  void it("does not report dependents of an entry left out for schema errors as unknown", () => {
    const v = validatePlan(importPlan(fixture(FILE), FILE));
    assert.equal(v.problems.some((p) => p.item === "uses-nameless"), false);
  });

  void it("finds the shortest cycle through the first item of each knot, one problem per knot", () => {
    const v = validatePlan(
      plan([
        newItem({ id: "x", name: "X", dependencies: ["y", "z"] }),
        newItem({ id: "y", name: "Y", dependencies: ["w"] }),
        newItem({ id: "w", name: "W", dependencies: ["x"] }),
        newItem({ id: "z", name: "Z", dependencies: ["x"] }),
        newItem({ id: "p", name: "P", dependencies: ["q"] }),
        newItem({ id: "q", name: "Q", dependencies: ["p"] }),
      ]),
    );
    const cycles = v.problems.filter((p) => p.kind === "cycle");
    assert.deepEqual(cycles.map((c) => c.cycle), [["x", "z", "x"], ["p", "q", "p"]]);
    assert.deepEqual(cycles.map((c) => c.path), ["items[0].dependencies[1]", "items[4].dependencies[0]"]);
    assert.match(cycles[0]?.message ?? "", /; 2 more items are caught in the same knot$/);
  });

  void it("walks long chains without overflowing the stack", () => {
    const n = 50_000;
    const items = Array.from({ length: n }, (_, i) => newItem({ id: `i${i}`, name: "x", dependencies: [`i${(i + 1) % n}`] }));
    const v = validatePlan(plan(items));
    assert.equal(v.problems.length, 1);
    assert.equal(v.problems[0]?.cycle?.length, n + 1);
  });

  void it("accepts a good plan: blocked-by warnings alone do not make it invalid", () => {
    const v = validatePlan(
      plan([
        newItem({ id: "a", name: "A", status: "blocked", blocked_reason: "needs keys" }),
        newItem({ id: "b", name: "B", dependencies: ["a"] }),
        newItem({ id: "c", name: "C", dependencies: ["a"], status: "passed" }),
      ]),
    );
    assert.equal(v.ok, true);
    assert.deepEqual(v.problems.map((p) => [p.kind, p.item]), [["blocked_by", "b"]]);
    assert.equal(v.graph.complete, true);
  });
});

void describe("planValidationError", () => {
  void it("is a bad_plan UserError listing every problem and the fix", () => {
    const v = validatePlan(importPlan(fixture(FILE), FILE));
    const e = planValidationError(v, FILE);
    assert.equal(e.reason, "bad_plan");
    assert.equal(e.file, FILE);
    const lines = e.message.split("\n");
    assert.equal(lines[0], `${FILE}: 5 problems in the plan:`);
    assert.equal(lines[1], "  features[1].name: a feature needs a name, a title or a description");
    assert.equal(lines[5], "  features[5].dependencies[0]: dependency cycle: a → b → c → a (each depends on the next; none can start)");
    assert.match(lines[6] ?? "", /^ {2}warning: features\[9\]\.dependencies\[1\]: "payments" is blocked by "vendor"/);
    assert.match(e.message, /\n {2}fix: correct each field listed in bad_feature_list\.json/);
  });

  void it("assertValidPlan throws it for a bad plan and passes a good one", () => {
    assert.throws(() => assertValidPlan(importPlan(fixture(FILE), FILE)), (e: unknown) => isUserError(e) && e.reason === "bad_plan");
    assert.equal(assertValidPlan(importPlan(fixture("feature_list.json"), "feature_list.json")).ok, true);
  });
});
