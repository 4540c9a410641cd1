import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allocate } from "../../src/analysis/allocation.ts";
import { analyze } from "../../src/analysis/complexity.ts";
import { coordinate, type Coordination } from "../../src/analysis/coordination.ts";
import type { Adaptation } from "../../src/domain/viability.ts";
import { SEED_REGISTRY, adaptation } from "./registry-fixture.ts";

function plan(task: string, adaptations: Adaptation[] = []): Coordination {
  const allocation = allocate({ assessment: analyze(task), registry: SEED_REGISTRY, adaptations });
  return coordinate({ allocation, task, adaptations });
}

/** S2's promise: no two agents with overlapping zones share a group. */
function assertNoConflictInAGroup(c: Coordination): void {
  for (const group of c.groups) {
    for (const { agents: [a, b] } of c.conflict_zones) {
      assert.ok(!(group.includes(a) && group.includes(b)), `${a} and ${b} share group ${JSON.stringify(group)}`);
    }
  }
}

void describe("coordinate", () => {
  void it("runs a sequential allocation one agent per group, in order", () => {
    const c = plan("Add user authentication with OAuth2");
    assert.deepEqual(c.groups, [["backend"], ["tester"], ["reviewer"]]);
    assert.match(c.rationale, /sequential/);
    assert.match(c.rationale, /Schedule: backend → tester → reviewer\./);
  });

  void it("runs domain agents with disjoint zones at once, and the reviewer alone after them", () => {
    const c = plan("Refactor the React component and its REST endpoint");
    assert.deepEqual(c.groups, [["frontend", "backend", "tester"], ["reviewer"]]);
    assert.deepEqual(c.conflict_zones, []);
    assert.deepEqual(c.zones["reviewer"], []);
    assert.ok(c.zones["frontend"]?.includes("**/components/**"));
    assert.ok(c.zones["database"] === undefined);
  });

  void it("keeps apart agents who both own a file the task names", () => {
    const c = plan("Refactor the React component and its REST endpoint in src/shared/user.ts");
    assert.deepEqual(c.conflict_zones, [{ agents: ["frontend", "backend"], zone: "src/shared/user.ts" }]);
    assert.deepEqual(c.groups, [["frontend"], ["backend", "tester"], ["reviewer"]]);
    assert.match(c.rationale, /frontend and backend may touch the same files, so they never run together: src\/shared\/user\.ts\./);
    assertNoConflictInAGroup(c);
  });

  void it("gives a named file to the domain whose usual places hold it", () => {
    const c = plan("Refactor the React component in web/components/User.tsx and its REST endpoint in src/api/user.ts");
    assert.ok(c.zones["backend"]?.includes("src/api/user.ts"));
    assert.ok(!c.zones["frontend"]?.includes("src/api/user.ts"));
    assert.deepEqual(c.groups, [["frontend", "backend", "tester"], ["reviewer"]]);
  });

  void it("treats an agent without a known zone as touching everything", () => {
    const c = plan("Implement CSV export with tests", [adaptation("parallelize_s1")]);
    assert.deepEqual(c.zones["code-writer"], ["**"]);
    assert.deepEqual(c.conflict_zones, [{ agents: ["code-writer", "tester"], zone: "** (code-writer could touch any file)" }]);
    assert.deepEqual(c.groups, [["code-writer"], ["tester"]]);
    assertNoConflictInAGroup(c);
  });

  void it("puts an inserted review alone between the work before and after it", () => {
    const c = plan("Refactor the React component and its REST endpoint", [adaptation("add_review_step", { target_agent: "backend" })]);
    assert.deepEqual(c.groups, [["frontend"], ["reviewer"], ["backend", "tester"], ["reviewer"]]);
  });

  void it("serializes everything while increase_s2_involvement is active, and says why", () => {
    const task = "Refactor the React component and its REST endpoint";
    const c = plan(task, [adaptation("increase_s2_involvement")]);
    assert.deepEqual(c.groups, [["frontend"], ["backend"], ["tester"], ["reviewer"]]);
    assert.match(c.rationale, /^increase_s2_involvement is active \(increase_s2_involvement trigger\): every agent runs alone/);
    const both = plan(task, [adaptation("increase_s2_involvement"), adaptation("parallelize_s1")]);
    assert.deepEqual(both.groups, [["frontend"], ["backend"], ["tester"], ["reviewer"]]);
  });
});
