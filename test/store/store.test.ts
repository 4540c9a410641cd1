import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { LATEST_SCHEMA_VERSION } from "../../src/store/migrations.ts";
import { SqliteStore as Store } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { makeProject } from "../support/project.ts";

void test("the store is WAL with synchronous=FULL and the current schema version", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  assert.equal((store.database.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
  assert.equal((store.database.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous, 2);
  assert.equal((store.database.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, LATEST_SCHEMA_VERSION);
});

void test("a database written by a newer Viable is refused, not reused", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  await Store.open(paths, { writer: true, command: "test" }).close();
  const raw = new DatabaseSync(paths.database);
  raw.exec(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(() => Store.open(paths, { writer: true, command: "test" }), (e: unknown) =>
    isUserError(e) && e.reason === "store_newer_schema" && e.file === paths.database && /upgrade Viable/.test(e.message));
  // The refusal released the lock: a reader can still look, and nothing was changed.
  const again = new DatabaseSync(paths.database);
  assert.equal((again.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, LATEST_SCHEMA_VERSION + 1);
  again.close();
});

void test("a damaged database file gets a clear error naming the file", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  fs.mkdirSync(paths.stateDir, { recursive: true });
  fs.writeFileSync(paths.database, "this is not a database, just text that is long enough to look like a header".repeat(100));
  assert.throws(() => Store.open(paths, { writer: true, command: "test" }), (e: unknown) =>
    isUserError(e) && e.reason === "store_damaged" && e.message.includes(paths.database) && /restore the file/.test(e.message));
  assert.match(fs.readFileSync(paths.database, "utf8"), /^this is not a database/);
});

void test("a second writer is refused with the holder's pid; a dead holder's lock is taken over", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  const first = Store.open(paths, { writer: true, command: "run" });
  // Another process's view: a lock held by a live process other than us.
  const holder = JSON.parse(fs.readFileSync(paths.lockFile, "utf8")) as { pid: number };
  assert.equal(holder.pid, process.pid);
  await first.close();

  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  t.after(() => child.kill("SIGKILL"));
  const start = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8");
  const startTime = start.slice(start.lastIndexOf(")") + 2).split(" ")[19];
  fs.writeFileSync(paths.lockFile, JSON.stringify({ pid: child.pid, start: startTime, command: "loop", acquired_at: "2026-01-01T00:00:00Z" }));
  assert.throws(() => Store.open(paths, { writer: true, command: "run" }), (e: unknown) =>
    isUserError(e) && e.reason === "store_locked" && e.message.includes(`pid ${child.pid}`) && e.message.includes("viable loop"));

  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  const taken = Store.open(paths, { writer: true, command: "run" });
  assert.equal((JSON.parse(fs.readFileSync(paths.lockFile, "utf8")) as { pid: number }).pid, process.pid);
  await taken.close();
  assert.equal(fs.existsSync(paths.lockFile), false);
});

void test("the execution log answers the seed's queries and summarizes a task", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test", sessionId: "s-1" });
  t.after(() => store.close());
  const q = store.queries;
  await store.journal.commit({
    events: [
      { event_type: "task_started", task_id: "t1", data: { description: "do it" } },
      { event_type: "agent_invoked", task_id: "t1", agent: "s1-code-writer" },
      { event_type: "agent_error", task_id: "t1", agent: "s1-tester" },
      { event_type: "audit_performed", task_id: "t1", data: { passed: false } },
      { event_type: "conflict_detected", task_id: "t1" },
      { event_type: "task_failed", task_id: "t1" },
      { event_type: "task_started", task_id: "t2" },
    ],
  });

  assert.equal((await q.events()).length, 7);
  assert.deepEqual((await q.events({ taskId: "t2" })).map((e) => e.event_type), ["task_started"]);
  assert.deepEqual((await q.events({ last: 2 })).map((e) => e.task_id), ["t1", "t2"]);
  assert.equal((await q.events({ sessionId: "s-1" })).length, 7);
  assert.equal((await q.events({ sessionId: "other" })).length, 0);
  const third = (await q.events())[2]!.id;
  assert.deepEqual((await q.events({ after: third })).map((e) => e.event_type), ["audit_performed", "conflict_detected", "task_failed", "task_started"]);
  const s = await q.taskSummary("t1");
  assert.equal(s.status, "failed");
  assert.equal(s.description, "do it");
  assert.deepEqual(s.agents_invoked, ["s1-code-writer"]);
  assert.deepEqual(s.agent_errors, ["s1-tester"]);
  assert.deepEqual(s.audits, [{ passed: false }]);
  assert.equal(s.conflicts, 1);
});

void test("an entry's events and changes commit together or not at all", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  // The second change breaks a constraint (the task does not exist... twice): nothing of the entry lands.
  const task = { id: "t1", description: "d", created_at: "t", updated_at: "t", status: "in_progress" as const, complexity: "unknown", assigned_agents: [], metadata: {}, session_id: "s", owner_pid: null, failure_reason: null };
  await assert.rejects(store.journal.commit({
    event: { event_type: "task_started", task_id: "t1" },
    changes: [{ type: "metrics_saved", metrics: await store.queries.metrics() }, { type: "task_inserted", task }, { type: "task_inserted", task }],
  }), /UNIQUE constraint failed/);
  assert.equal(await store.queries.eventCount(), 0);
  assert.equal(store.database.prepare("SELECT * FROM settings").get(), undefined);
  assert.equal(await store.queries.task("t1"), null);
});

// Databases as earlier versions of Viable wrote them, frozen in test/store/fixtures (see its
// README): opened by this version, migrated in place, and read back through the named queries.
for (const version of [1, 3, 4, 5, 6]) {
  void test(`a schema-v${version} database, as Viable wrote it, is migrated in place and every record reads back`, async (t) => {
    const p = makeProject();
    t.after(() => p.cleanup());
    const paths = projectPaths(p.dir);
    fs.mkdirSync(paths.stateDir, { recursive: true });
    fs.copyFileSync(path.join(import.meta.dirname, "fixtures", `viable-v${version}.db`), paths.database);

    const store = Store.open(paths, { writer: true, command: "test" });
    t.after(() => store.close());
    assert.equal((store.database.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, LATEST_SCHEMA_VERSION);
    const q = store.queries;
    if (version === 1) {
      assert.equal((await q.task("abcd1234"))?.description, "old task");
      assert.deepEqual((await q.events({ taskId: "abcd1234" })).map((e) => e.event_type), ["task_started", "task_completed"]);
      assert.equal((await q.metrics()).completion_rate, 1);
      assert.equal(await q.plan(), null);
    } else {
      const task = (await q.task("t0000001"))!;
      assert.deepEqual([task.status, task.complexity, task.assigned_agents], ["completed", "medium", ["code-writer"]]);
      const [attempt] = await q.attemptsOfTask("t0000001");
      assert.deepEqual([attempt?.status, attempt?.outcome?.status, attempt?.outcome?.costUsd], ["finished", "succeeded", 0.0042]);
      assert.equal((await q.taskSummary("t0000001")).status, "completed");
      assert.deepEqual((await q.taskAnalysis("t0000001")).s3_allocation, { task_id: "t0000001", complexity: "medium", selected_agents: ["code-writer"] });
      assert.deepEqual([...(await q.fileVersions("t0000001")).get("greet.js")!].map((v) => v.agent), ["HEAD", "code-writer"]);
      assert.equal((await q.metrics()).agent_errors["code-writer"], 0);
      assert.equal(await q.killSwitch(), null);
      const stored = (await q.plan())!;
      assert.deepEqual(stored.plan.items.map((i) => [i.id, i.status, i.attempts]), [["a", "passed", 1], ["b", "blocked", 3]]);
      assert.equal(stored.meta.integration_branch, "main");
      // Version 4 records the Task Master tag a plan came from; earlier ones had none.
      assert.equal(stored.plan.source.tag, version >= 4 ? "feature-auth" : undefined);
      assert.equal(stored.plan.source.format, version >= 4 ? "taskmaster" : "feature-list");
      assert.equal(stored.state.get("a")?.merged_commit, "c0ffee");
      assert.deepEqual((await q.sessions()).map((s) => [s.session, s.feature, s.success, s.attempt_id]), [[1, "a", true, "loop-0000abcd-1-code-writer"]]);
      // Version 5 keeps S5 approvals: who answered, and which are still pending.
      const approvals = await q.approvals();
      assert.deepEqual(approvals.map((a) => [a.id, a.status, a.answered_by, a.comment]), version >= 5
        ? [["ap0000000002", "pending", null, null], ["ap0000000001", "approved", "dashboard", "fine"]]
        : []);
      // Version 6 keeps take-overs (`viable attach`): who, which session, how it ended.
      const takeover = await q.takeover("b");
      assert.deepEqual(takeover && [takeover.id, takeover.by_user, takeover.runtime, takeover.status, takeover.ended_at], version >= 6
        ? ["tk0000000001", "ada", "claude", "ended", "2026-11-30T10:04:10.000Z"]
        : null);
    }
    // And it takes new records as any current database does.
    await store.journal.commit({ event: { event_type: "task_started", task_id: "new" } });
    assert.equal((await q.events({ taskId: "new" })).length, 1);
  });
}
