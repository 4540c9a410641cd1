import assert from "node:assert/strict";
import { test } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { newItem, type Plan } from "../../src/plan/plan.ts";
import type { ItemState } from "../../src/store/records.ts";
import { SqliteStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { makeProject } from "../support/project.ts";

function plan(statuses: Record<string, "pending" | "passed" | "blocked">): Plan {
  return {
    version: 1,
    source: { format: "feature-list", file: "feature_list.json" },
    items: Object.entries(statuses).map(([id, status], i) => newItem({ id, name: `item ${id}`, status, priority: i, ...(status === "blocked" ? { blocked_reason: "marked blocked" } : {}) })),
  };
}

const state = (patch: Partial<ItemState> = {}): ItemState => ({ phase: null, branch: null, base_commit: null, merged_commit: null, last_error: null, ...patch });

void test("a re-import keeps the results of passed items and takes every other status from the file", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = SqliteStore.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  const { journal, queries } = store;
  await journal.commit({ changes: [{ type: "plan_replaced", plan: plan({ a: "pending", b: "pending", c: "pending" }), sourceText: "{}", passed: await queries.passedItems(), now: store.timestamp() }] });
  await journal.commit({
    changes: [
      { type: "item_state", id: "a", status: "passed", attempts: 1, blockedReason: null, state: state({ merged_commit: "abc123", branch: "viable/a" }), now: store.timestamp() },
      { type: "item_state", id: "b", status: "blocked", attempts: 3, blockedReason: "failed 3 attempts", state: state({ last_error: "tests failed" }), now: store.timestamp() },
    ],
  });

  const passed = await queries.passedItems();
  assert.deepEqual([...passed.keys()], ["a"]);
  await journal.commit({ changes: [{ type: "plan_replaced", plan: plan({ a: "pending", b: "pending", c: "blocked" }), sourceText: "{}", passed, now: store.timestamp() }] });
  const stored = (await queries.plan())!;
  assert.deepEqual(stored.plan.items.map((i) => [i.id, i.status, i.attempts]), [["a", "passed", 1], ["b", "pending", 0], ["c", "blocked", 0]]);
  assert.equal(stored.state.get("a")?.merged_commit, "abc123");
  assert.equal(stored.plan.items[2]?.blocked_reason, "marked blocked");
});

void test("a damaged item row is refused with the item and the fix, not silently reset", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = SqliteStore.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  await store.journal.commit({ changes: [{ type: "plan_replaced", plan: plan({ a: "pending" }), sourceText: null, passed: new Map(), now: store.timestamp() }] });
  store.database.prepare("UPDATE plan_items SET definition = ? WHERE id = 'a'").run(JSON.stringify({ id: "a", name: 7 }));
  await assert.rejects(() => store.queries.plan(), (e: unknown) =>
    isUserError(e) && e.reason === "store_damaged" && e.field === 'plan_items["a"]' && /plan import/.test(e.message));
});
