import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { exportPlan, importPlan } from "../../src/plan/import/import-plan.ts";
import { sniffFormat } from "../../src/plan/import/sniff.ts";
import { fixture } from "./fixture.ts";

void describe("format detection", () => {
  void it("knows each format by its content, whatever the file is called", () => {
    assert.equal(sniffFormat(fixture("feature_list.json"), "plan.json").format, "feature-list");
    assert.equal(sniffFormat(fixture("tasks-legacy.json"), "plan.json").format, "taskmaster");
    assert.equal(sniffFormat(fixture("tasks-tagged.json"), "plan.json").format, "taskmaster");
    assert.equal(sniffFormat(fixture("issues.jsonl"), "plan.json").format, "beads");
    assert.equal(sniffFormat("", "issues.jsonl").format, "beads");
  });

  void it("refuses anything else, saying which formats it reads", () => {
    assert.throws(
      () => sniffFormat('{"todo": []}', "plan.json"),
      (e: unknown) => isUserError(e) && e.reason === "bad_plan" && e.file === "plan.json" && /feature_list\.json/.test(e.fix ?? ""),
    );
  });
});

void describe("importPlan / exportPlan", () => {
  void it("a file read and not changed exports byte for byte, in every format and shape", () => {
    const names = [
      "feature_list.json", "tasks-legacy.json", "tasks-tagged.json", "issues.jsonl",
      "real/harness-feature_list.json", "real/features-status-words.json", "real/features-title-phase.json",
      "real/features-array-passing.json", "real/features-numeric-ids.json", "real/taskmaster-tagged.json",
      "real/gastown-issues.jsonl", "real/beads-typed-export.jsonl", "real/features-state-field.json", "real/features-tests-path.json",
    ];
    for (const name of names) {
      const original = fixture(name);
      const { plan } = importPlan(original, name.replace("real/", ""));
      const out = exportPlan(plan, original, { now: "2026-01-01T00:00:00Z" });
      assert.equal(out, original, name);
      assert.deepEqual(importPlan(out, name.replace("real/", "")).plan, plan, name);
    }
  });

  void it("refuses a file that is not JSON with the file, the line and column, and the fix", () => {
    assert.throws(
      () => importPlan('{\n  "features": [\n    {"id" "a"}\n  ]\n}', "feature_list.json"),
      (e: unknown) => isUserError(e) && e.file === "feature_list.json" && e.field === "line 3 column 11" && /not valid JSON/.test(e.message) && /JSON/.test(e.fix ?? ""),
    );
  });

  void it("honours an explicit format", () => {
    const { plan, problems } = importPlan(fixture("tasks-legacy.json"), "x.json", { format: "feature-list" });
    assert.equal(plan.items.length, 0);
    assert.deepEqual(problems.map((p) => p.path), ["features"]);
  });

  void it("needs the original file to export formats it cannot write from scratch", () => {
    const { plan } = importPlan(fixture("issues.jsonl"), "issues.jsonl");
    assert.throws(() => exportPlan(plan, undefined), (e: unknown) => isUserError(e) && e.reason === "bad_plan");
  });
});
