import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { newItem, type Plan } from "../../src/plan/plan.ts";
import { CommitFailed, GroupCommitter } from "../../src/store/group-commit.ts";
import { applyOps, eventOp, itemStateOp, readPlan, readSessions, replacePlan, sessionOp, type ItemState } from "../../src/store/plan-store.ts";
import { Store } from "../../src/store/store.ts";
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

void test("a re-import keeps the results of passed items and takes every other status from the file", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  store.atomically(() => replacePlan(store.db, plan({ a: "pending", b: "pending", c: "pending" }), "{}", store.timestamp()));
  applyOps(store.db, [
    itemStateOp("a", "passed", 1, null, state({ merged_commit: "abc123", branch: "viable/a" }), store.timestamp()),
    itemStateOp("b", "blocked", 3, "failed 3 attempts", state({ last_error: "tests failed" }), store.timestamp()),
  ]);

  const result = store.atomically(() => replacePlan(store.db, plan({ a: "pending", b: "pending", c: "blocked" }), "{}", store.timestamp()));
  assert.deepEqual(result.kept, ["a"]);
  const stored = readPlan(store.db, store.paths.database)!;
  assert.deepEqual(stored.plan.items.map((i) => [i.id, i.status, i.attempts]), [["a", "passed", 1], ["b", "pending", 0], ["c", "blocked", 0]]);
  assert.equal(stored.state.get("a")?.merged_commit, "abc123");
  assert.equal(stored.plan.items[2]?.blocked_reason, "marked blocked");
});

void test("a damaged item row is refused with the item and the fix, not silently reset", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  store.atomically(() => replacePlan(store.db, plan({ a: "pending" }), null, store.timestamp()));
  store.db.prepare("UPDATE plan_items SET definition = ? WHERE id = 'a'").run(JSON.stringify({ id: "a", name: 7 }));
  assert.throws(() => readPlan(store.db, store.paths.database), (e: unknown) =>
    isUserError(e) && e.reason === "store_damaged" && e.field === 'plan_items["a"]' && /plan import/.test(e.message));
});

void test("the group committer commits staged operations in order, batching what arrives while the disk is busy", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  Store.open(paths, { writer: true, command: "test" }).close();
  const committer = await GroupCommitter.open(paths.database);
  t.after(() => committer.close());
  const ev = (n: number) => eventOp({ timestamp: new Date().toISOString(), event_type: "item_status", task_id: "run", agent: null, data: { n }, session_id: "s" });
  for (let n = 0; n < 300; n++) {
    committer.stage([ev(n)]);
    if (n % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  await committer.flush();
  const db = new DatabaseSync(paths.database);
  t.after(() => db.close());
  const rows = db.prepare("SELECT data FROM events WHERE event_type = 'item_status' ORDER BY id").all() as { data: string }[];
  assert.deepEqual(rows.map((r) => (JSON.parse(r.data) as { n: number }).n), Array.from({ length: 300 }, (_, n) => n));
  // Same-turn operations share a commit: far fewer commits than operations.
  assert.ok(committer.stats.commits < 300, `${committer.stats.commits} commits for 300 operations`);
});

void test("a full disk (SQLITE_FULL) fails with a clear error and loses nothing committed before it", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  const store = Store.open(paths, { writer: true, command: "test" });
  store.close();
  const pages = (new DatabaseSync(paths.database).prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
  const committer = await GroupCommitter.open(paths.database, { maxPageCount: pages + 2 });
  t.after(() => committer.close());
  let failure: CommitFailed | undefined;
  committer.onFailure = (e) => (failure = e);
  const session = (n: number) => sessionOp({ session: n, timestamp: "t", feature: `f${n}`, success: true, elapsed_seconds: 1, error: "x".repeat(3000), attempt_id: null, run_id: "r" });
  // The plans row the sessions refer to, committed first.
  committer.stage([{ sql: "INSERT INTO plans (id, format, source_file, imported_at, updated_at) VALUES ('plan', 'feature-list', 'f', 't', 't')", params: [] }]);
  await committer.flush();
  let committed = 0;
  await assert.rejects(async () => {
    for (let n = 1; n < 1000; n++) {
      committer.stage([session(n)]);
      await committer.flush();
      committed = n;
    }
  }, (e: unknown) => e instanceof CommitFailed && e.diskFull && /disk is full/.test(e.message) && e.message.includes(paths.database) && /intact/.test(e.message));
  assert.ok(committed > 0, "some sessions were committed before the limit");
  assert.ok(failure instanceof CommitFailed, "onFailure was told");
  assert.throws(() => committer.stage([session(5000)]), CommitFailed);

  const db = new DatabaseSync(paths.database);
  t.after(() => db.close());
  const reopened = Store.open(paths, { writer: true, command: "test" });
  t.after(() => reopened.close());
  assert.deepEqual(readSessions(reopened.db).map((s) => s.session), Array.from({ length: committed }, (_, i) => i + 1));
});

void test("the group committer batches what is staged within its window after a commit, and flush() does not wait the window out", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  Store.open(paths, { writer: true, command: "test" }).close();
  const committer = await GroupCommitter.open(paths.database, { batchWindowMs: 60_000 });
  t.after(() => committer.close());
  const ev = (n: number) => eventOp({ timestamp: new Date().toISOString(), event_type: "item_status", task_id: "run", agent: null, data: { n }, session_id: "s" });
  committer.stage([ev(0)]);
  await committer.flush();
  // Staged in separate turns, within the window after the first commit: one commit for all of them.
  for (let n = 1; n <= 20; n++) {
    committer.stage([ev(n)]);
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(committer.stats.commits, 1);
  const started = performance.now();
  await committer.flush();
  assert.ok(performance.now() - started < 30_000, "flush() waited out the window");
  assert.equal(committer.stats.commits, 2);
  const db = new DatabaseSync(paths.database);
  t.after(() => db.close());
  const rows = db.prepare("SELECT data FROM events WHERE event_type = 'item_status' ORDER BY id").all() as { data: string }[];
  assert.deepEqual(rows.map((r) => (JSON.parse(r.data) as { n: number }).n), Array.from({ length: 21 }, (_, n) => n));
});
