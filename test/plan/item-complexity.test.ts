import assert from "node:assert/strict";
import { it } from "node:test";
import { itemComplexity, type ComplexityInput } from "../../src/plan/item-complexity.ts";

const LONG = "A description comfortably longer than forty characters.";

function feature(fields: Partial<ComplexityInput>): ComplexityInput {
  return { name: "Feature", description: LONG, category: "", dependencies: [], tests: [], ...fields };
}

void it("an explicit complexity wins over every signal", () => {
  const c = itemComplexity(feature({ complexity: "low", description: "Rotate SSH credentials and encrypt tokens via the API" }));
  assert.equal(c.level, "low");
  assert.equal(c.score, undefined);
  assert.deepEqual(c.steps, []);
});

void it("a security word counts +2 once, found as a plain substring (auth in author)", () => {
  const once = itemComplexity(feature({ description: "Security review: encrypt passwords and rotate tokens, every session." }));
  assert.equal(once.score, 2);
  assert.equal(once.level, "medium");
  assert.deepEqual(once.reasons, ['+2 security word "security"']);
  const substring = itemComplexity(feature({ description: "Show the author of each post under its title in the list." }));
  assert.deepEqual(substring.reasons, ['+2 security word "auth"']);
});

void it("security words in the category or name count too", () => {
  assert.equal(itemComplexity(feature({ category: "Security" })).score, 2);
  assert.equal(itemComplexity(feature({ name: "RBAC roles" })).score, 2);
});

void it("system words count only in the description or category, not the name", () => {
  assert.equal(itemComplexity(feature({ name: "API client" })).score, 0);
  assert.equal(itemComplexity(feature({ category: "database" })).score, 1);
});

void it("security + system words + many dependencies and tests make it high: reviewer, test runner, verifier", () => {
  const c = itemComplexity(
    feature({
      description: "Add an API endpoint that validates session tokens against the database.",
      dependencies: ["a", "b", "c", "d"],
      tests: ["1", "2", "3", "4", "5", "6"],
    }),
  );
  assert.equal(c.score, 5);
  assert.equal(c.level, "high");
  assert.deepEqual(c.steps, ["reviewer", "test_runner", "verifier"]);
  assert.deepEqual(c.reasons, [
    '+2 security word "token"',
    "+1 4 dependencies (> 3)",
    "+1 6 tests (> 5)",
    '+1 system word "api"',
  ]);
});

void it("exactly 3 dependencies or 5 tests add nothing", () => {
  assert.equal(itemComplexity(feature({ dependencies: ["a", "b", "c"], tests: ["1", "2", "3", "4", "5"] })).score, 0);
});

void it("a refactor is -2, even next to a security word: low", () => {
  const c = itemComplexity(feature({ description: "Refactor the auth module into smaller files, no behaviour change." }));
  assert.equal(c.score, 0);
  assert.equal(c.level, "low");
  assert.deepEqual(c.reasons, ['+2 security word "auth"', '-2 simple-change word "refactor"']);
});

void it("'simple' or 'minor' in the name is -1", () => {
  assert.equal(itemComplexity(feature({ name: "Minor API tweak", description: `${LONG} Uses the service.` })).score, 0);
});

void it("a description under 40 characters is -1: a short API change is low", () => {
  const c = itemComplexity(feature({ description: "Add an API endpoint for items" }));
  assert.equal(c.score, 0);
  assert.equal(c.level, "low");
  assert.deepEqual(c.reasons, ['+1 system word "api"', "-1 short description (29 < 40 characters)"]);
  const exactly40 = "x".repeat(40);
  assert.equal(itemComplexity(feature({ description: exactly40 })).score, 0);
  assert.equal(itemComplexity(feature({ description: exactly40.slice(1) })).score, -1);
});

void it("a score of 1 or 2 is medium: the test runner only", () => {
  const c = itemComplexity(feature({ description: "Store uploaded files in the repository layer with retries." }));
  assert.equal(c.score, 1);
  assert.equal(c.level, "medium");
  assert.deepEqual(c.steps, ["test_runner"]);
});
