// beads exports as gastown and `bd export` write them (fixtures/real/README.md).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exportBeads, importBeads } from "../../src/plan/import/beads.ts";
import type { Plan, PlanItem } from "../../src/plan/plan.ts";
import { validatePlan } from "../../src/plan/validate.ts";
import { fixture } from "./fixture.ts";

const FILE = ".beads/issues.jsonl";
const NOW = "2026-03-01T00:00:00Z";

function item(plan: Plan, id: string): PlanItem {
  const found = plan.items.find((i) => i.id === id);
  assert.ok(found, id);
  return found;
}

void describe("beads, gastown's export", () => {
  const text = fixture("real/gastown-issues.jsonl");

  void it("imports although issues depend on deleted ephemeral issues: warnings, not errors, and not waited on", () => {
    const imported = importBeads(text, FILE);
    const v = validatePlan(imported);
    assert.equal(v.ok, true);
    assert.deepEqual(
      v.problems.map((p) => [p.kind, p.severity, p.path, p.item]),
      [
        ["missing_dependency", "warning", "line 2: dependencies[0].depends_on_id", "gt-l7x9"],
        ["missing_dependency", "warning", "line 6: dependencies[0].depends_on_id", "gt-wisp-kxctl"],
      ],
    );
    assert.match(v.problems[0]?.message ?? "", /"gt-l7x9" depends on "gt-wisp-zsh6g", which is not in this export .*not waited on/);
    assert.deepEqual(item(imported.plan, "gt-l7x9").dependencies, []);
  });

  void it("reads in_progress, hooked and pinned as someone's current work", () => {
    const { plan } = importBeads(text, FILE);
    assert.deepEqual(
      ["gt-l7x9", "gt-w98d", "gt-j3cx", "gt-wisp-s2vyx", "gt-wisp-0z7eh", "gt-shxm"].map((id) => [item(plan, id).status, item(plan, id).claimed ?? null]),
      [
        ["pending", "in_progress in beads (gastown/polecats/slit)"],
        ["pending", "hooked in beads"],
        ["pending", "pinned in beads"],
        ["pending", "hooked in beads (gastown/refinery)"],
        // A step of the hooked patrol molecule: that worker's, too.
        ["pending", 'part of "gt-wisp-s2vyx", hooked in beads (gastown/refinery)'],
        ["passed", null],
      ],
    );
  });

  void it("honours parent: the epic waits for its children", () => {
    const { plan } = importBeads(text, FILE);
    assert.equal(item(plan, "gt-wisp-0z7eh").parent, "gt-wisp-s2vyx");
    assert.deepEqual(item(plan, "gt-wisp-s2vyx").dependencies, ["gt-wisp-kxctl", "gt-wisp-0z7eh"]);
  });

  void it("comes back byte for byte when nothing changed, and rewrites only the line that did", () => {
    const { plan } = importBeads(text, FILE);
    assert.equal(exportBeads(plan, text, { now: NOW }), text);
    item(plan, "gt-wisp-0z7eh").status = "passed";
    const before = text.split("\n");
    const after = exportBeads(plan, text, { now: NOW }).split("\n");
    assert.deepEqual(after.map((l, i) => (l === before[i] ? -1 : i)).filter((i) => i >= 0), [6]);
    assert.equal((JSON.parse(after[6] as string) as { status: string }).status, "closed");
  });
});

void describe("beads, `bd export` with _type records", () => {
  const text = fixture("real/beads-typed-export.jsonl");

  void it("reads issue records, leaves memory records alone, and warns about external: dependencies", () => {
    const imported = importBeads(text, FILE);
    const v = validatePlan(imported);
    assert.equal(v.ok, true);
    assert.deepEqual(imported.plan.items.map((i) => i.id), ["fal-cli-ex8", "fal-cli-26o", "fal-cli-kkb", "fal-cli-lcc"]);
    assert.deepEqual(v.problems.map((p) => p.message), ['"fal-cli-kkb" depends on "external:fal-js:fal-js-12", an issue of another project; it is not waited on']);
    assert.deepEqual(item(imported.plan, "fal-cli-kkb").dependencies, ["fal-cli-26o"]);
    assert.deepEqual(item(imported.plan, "fal-cli-26o").tests, ["runGeneration(input, onStatus, options) returns { data, requestId }", "Both functions exported from fal-client.js"]);
    assert.equal(item(imported.plan, "fal-cli-kkb").claimed, "in_progress in beads (tiby)");
  });

  void it("round-trips byte for byte, memory line included", () => {
    const { plan } = importBeads(text, FILE);
    assert.equal(exportBeads(plan, text, { now: NOW }), text);
    item(plan, "fal-cli-lcc").status = "passed";
    const out = exportBeads(plan, text, { now: NOW }).split("\n");
    assert.equal(out[4], text.split("\n")[4]);
  });

  void it("keeps CRLF line endings on rewritten lines", () => {
    const crlf = text.replace(/\n/g, "\r\n");
    const { plan } = importBeads(crlf, FILE);
    assert.equal(exportBeads(plan, crlf, { now: NOW }), crlf);
    item(plan, "fal-cli-lcc").status = "passed";
    const out = exportBeads(plan, crlf, { now: NOW });
    assert.equal(out.split("\r\n").length, crlf.split("\r\n").length);
    assert.ok(!/[^\r]\n/.test(out));
  });
});
