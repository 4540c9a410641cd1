import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allocate, type Allocation } from "../../src/analysis/allocation.ts";
import { analyze } from "../../src/analysis/complexity.ts";
import { UserError } from "../../src/domain/errors.ts";
import { SEED_REGISTRY, adaptation, agent, without } from "./registry-fixture.ts";

const AUTH = "Add user authentication with OAuth2";
const TWO_DOMAINS = "Refactor the React component and its REST endpoint";

function plan(a: Allocation): string[] {
  return a.agents.map((s) => `${s.order}:${s.name}:${s.role}`);
}

void describe("allocate", () => {
  void it("allocates the seed's example as backend, tester, then reviewer, one after another", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: SEED_REGISTRY, adaptations: [] });
    assert.deepEqual(plan(a), ["1:backend:primary", "2:tester:primary", "3:reviewer:review"]);
    assert.equal(a.execution_mode, "sequential");
    assert.deepEqual(a.inserted_reviews, []);
    assert.match(a.rationale, /^Complex task \(confidence 0\.85\): the assessment suggests backend, tester, reviewer\./);
    assert.equal(a.agents[0]?.focus, "Implement the backend part of the task.");
  });

  void it("gives simple work to the generalist alone", () => {
    const a = allocate({ assessment: analyze("x", { hint: "simple" }), registry: SEED_REGISTRY, adaptations: [] });
    assert.deepEqual(plan(a), ["1:generalist-coder:primary"]);
    assert.equal(a.execution_mode, "sequential");
  });

  void it("marks agents beyond the first two as support", () => {
    const a = allocate({ assessment: analyze(TWO_DOMAINS), registry: SEED_REGISTRY, adaptations: [] });
    assert.deepEqual(plan(a), ["1:frontend:primary", "2:backend:primary", "3:tester:support", "4:reviewer:review"]);
  });

  void it("refuses to allocate from an empty registry", () => {
    assert.throws(
      () => allocate({ assessment: analyze(AUTH), registry: [], adaptations: [] }),
      (e: unknown) => e instanceof UserError && e.reason === "unknown_agent",
    );
  });
});

void describe("allocate: substitutes for unregistered agents", () => {
  void it("replaces a missing domain agent with code-writer and says so", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: without("backend"), adaptations: [] });
    assert.deepEqual(plan(a), ["1:code-writer:primary", "2:tester:primary", "3:reviewer:review"]);
    assert.equal(a.agents[0]?.stands_in_for, "backend");
    assert.equal(a.agents[0]?.focus, "Standing in for backend: Implement the backend part of the task.");
    assert.match(a.rationale, /"backend" is not registered; code-writer stands in for it\./);
  });

  void it("falls back to generalist-coder when code-writer is missing too", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: without("backend", "code-writer"), adaptations: [] });
    assert.equal(a.agents[0]?.name, "generalist-coder");
    assert.equal(a.agents[0]?.stands_in_for, "backend");
  });

  void it("prefers a registered agent whose capabilities name the missing one", () => {
    const registry = [...SEED_REGISTRY, agent("ml-engineer", "custom", ["ML", "training"])];
    const assessment = analyze("Refactor and redesign the model training", { custom: { domains: { ml: [String.raw`\bmodel\b`] } } });
    const a = allocate({ assessment, registry, adaptations: [] });
    assert.equal(a.agents[0]?.name, "ml-engineer");
    assert.equal(a.agents[0]?.stands_in_for, "ml");
  });

  void it("merges two stand-ins for the same agent into one step, and never lets a writer review itself", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: [agent("generalist-coder", "generalist")], adaptations: [] });
    assert.deepEqual(plan(a), ["1:generalist-coder:primary"]);
    assert.equal(a.agents[0]?.focus, "Standing in for backend: Implement the backend part of the task. Also: Write and run tests that prove the task is done.");
    assert.match(a.rationale, /no other agent is free to review, so there is no review step/);
  });

  void it("uses an agent that can review when the reviewer is missing", () => {
    const registry = [...without("reviewer"), agent("auditor", "custom", ["security review"])];
    const a = allocate({ assessment: analyze(AUTH), registry, adaptations: [] });
    assert.deepEqual(plan(a), ["1:backend:primary", "2:tester:primary", "3:auditor:review"]);
  });
});

void describe("allocate: adaptations", () => {
  void it("add_review_step inserts a reviewer immediately before its target", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: SEED_REGISTRY, adaptations: [adaptation("add_review_step", { target_agent: "tester" })] });
    assert.deepEqual(plan(a), ["1:backend:primary", "2:reviewer:review", "3:tester:primary", "4:reviewer:review"]);
    assert.deepEqual(a.inserted_reviews, ["tester"]);
    assert.match(a.agents[1]?.focus ?? "", /before tester starts/);
    assert.match(a.rationale, /add_review_step is active for tester: a review by reviewer runs right before it\./);
  });

  void it("add_review_step finds its target through a stand-in", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: without("backend"), adaptations: [adaptation("add_review_step", { target_agent: "backend" })] });
    assert.deepEqual(plan(a), ["1:reviewer:review", "2:code-writer:primary", "3:tester:primary", "4:reviewer:review"]);
    assert.deepEqual(a.inserted_reviews, ["backend"]);
  });

  void it("add_review_step for an agent outside the plan changes nothing and says why", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: SEED_REGISTRY, adaptations: [adaptation("add_review_step", { target_agent: "frontend" })] });
    assert.deepEqual(plan(a), ["1:backend:primary", "2:tester:primary", "3:reviewer:review"]);
    assert.deepEqual(a.inserted_reviews, []);
    assert.match(a.rationale, /add_review_step for frontend does not apply/);
  });

  void it("one review step per target, for each target", () => {
    const adaptations = [
      adaptation("add_review_step", { target_agent: "tester" }),
      adaptation("add_review_step", { target_agent: "backend" }),
    ];
    const a = allocate({ assessment: analyze(AUTH), registry: SEED_REGISTRY, adaptations });
    assert.deepEqual(plan(a), ["1:reviewer:review", "2:backend:primary", "3:reviewer:review", "4:tester:primary", "5:reviewer:review"]);
    assert.deepEqual(a.inserted_reviews, ["tester", "backend"]);
  });

  void it("parallelize_s1 lets writers run at once; without it medium work is sequential", () => {
    const assessment = analyze("Implement CSV export with tests");
    assert.equal(allocate({ assessment, registry: SEED_REGISTRY, adaptations: [] }).execution_mode, "sequential");
    const a = allocate({ assessment, registry: SEED_REGISTRY, adaptations: [adaptation("parallelize_s1")] });
    assert.equal(a.execution_mode, "parallel");
    assert.match(a.rationale, /parallelize_s1 is active/);
  });

  void it("runs multi-domain work mixed: writers at once, the review alone", () => {
    const a = allocate({ assessment: analyze(TWO_DOMAINS), registry: SEED_REGISTRY, adaptations: [] });
    assert.equal(a.execution_mode, "mixed");
  });

  void it("parallelize_s1 turns the seed example mixed: backend and tester at once, the review after", () => {
    const a = allocate({ assessment: analyze(AUTH), registry: SEED_REGISTRY, adaptations: [adaptation("parallelize_s1")] });
    assert.deepEqual(plan(a), ["1:backend:primary", "2:tester:primary", "3:reviewer:review"]);
    assert.equal(a.execution_mode, "mixed");
  });
});
