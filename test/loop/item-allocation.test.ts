import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentRegistry } from "../../src/agents/registry.ts";
import { builtinAgents } from "../../src/agents/builtin-agents.ts";
import { defaultConfig } from "../../src/config/config.ts";
import { allocateItem } from "../../src/engine/loop/item-allocation.ts";
import { newItem } from "../../src/plan/plan.ts";

const registry = new AgentRegistry(builtinAgents("command"));
const config = defaultConfig();
const names = (item: Parameters<typeof allocateItem>[0], r = registry) => allocateItem(item, r, config).steps.map((s) => s.agent.name);

void test("seed 004's level picks S3's allocation and the extra steps: high ⇒ reviewer and test runner, medium ⇒ test runner", () => {
  const base = { id: "x", name: "Thing", description: "a description that is long enough to count as a real one" };
  assert.deepEqual(names(newItem({ ...base, complexity: "low" })), ["generalist-coder"]);
  assert.deepEqual(names(newItem({ ...base, complexity: "medium" })), ["code-writer", "tester"]);
  const high = names(newItem({ ...base, complexity: "high" }));
  assert.ok(high.includes("reviewer") && high.includes("tester"), high.join(","));
  assert.equal(new Set(high).size, high.length, "no agent twice");
  // Computed, not stated: security words (+2) and a system word (+1) make it high.
  const computed = allocateItem(newItem({ id: "y", name: "Login", description: "Add password authentication to the API endpoint for users" }), registry, config);
  assert.equal(computed.complexity.level, "high");
  assert.ok(computed.steps.some((s) => s.agent.name === "reviewer"));
});

void test("an item that names its agent runs that agent (plus its level's steps); a verifier agent is used when there is one", () => {
  const withVerifier = new AgentRegistry([...builtinAgents("command"), { ...builtinAgents("command")[0]!, name: "verifier", description: "checks criteria" }]);
  assert.deepEqual(names(newItem({ id: "a", name: "A", agent: "frontend", complexity: "low" })), ["frontend"]);
  assert.deepEqual(names(newItem({ id: "a", name: "A", agent: "frontend", complexity: "medium" })), ["frontend", "tester"]);
  assert.deepEqual(names(newItem({ id: "a", name: "A", agent: "frontend", complexity: "high" }), withVerifier), ["frontend", "reviewer", "tester", "verifier"]);
  assert.throws(() => names(newItem({ id: "a", name: "A", agent: "nobody" })), /no agent named "nobody"/);
});
