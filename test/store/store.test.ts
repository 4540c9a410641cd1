import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "../../src/store/migrations.ts";
import { Store } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { makeProject } from "../support/project.ts";

void test("the store is WAL with synchronous=FULL and the current schema version", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  assert.equal((store.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
  assert.equal((store.db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous, 2);
  assert.equal((store.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, LATEST_SCHEMA_VERSION);
});

void test("a database written by a newer Viable is refused, not reused", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  Store.open(paths, { writer: true, command: "test" }).close();
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
  first.close();

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
  taken.close();
  assert.equal(fs.existsSync(paths.lockFile), false);
});

void test("the execution log answers the seed's queries and summarizes a task", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test", sessionId: "s-1" });
  t.after(() => store.close());
  store.log.append({ event_type: "task_started", task_id: "t1", data: { description: "do it" } });
  store.log.append({ event_type: "agent_invoked", task_id: "t1", agent: "s1-code-writer" });
  store.log.append({ event_type: "agent_error", task_id: "t1", agent: "s1-tester" });
  store.log.append({ event_type: "audit_performed", task_id: "t1", data: { passed: false } });
  store.log.append({ event_type: "conflict_detected", task_id: "t1" });
  store.log.append({ event_type: "task_failed", task_id: "t1" });
  store.log.append({ event_type: "task_started", task_id: "t2" });

  assert.equal(store.log.query().length, 7);
  assert.deepEqual(store.log.query({ taskId: "t2" }).map((e) => e.event_type), ["task_started"]);
  assert.deepEqual(store.log.query({ last: 2 }).map((e) => e.task_id), ["t1", "t2"]);
  assert.equal(store.log.query({ sessionId: "s-1" }).length, 7);
  assert.equal(store.log.query({ sessionId: "other" }).length, 0);
  const s = store.log.taskSummary("t1");
  assert.equal(s.status, "failed");
  assert.equal(s.description, "do it");
  assert.deepEqual(s.agents_invoked, ["s1-code-writer"]);
  assert.deepEqual(s.agent_errors, ["s1-tester"]);
  assert.deepEqual(s.audits, [{ passed: false }]);
  assert.equal(s.conflicts, 1);
});

void test("a transition's event and projection commit together or not at all", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const store = Store.open(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(() => store.close());
  assert.throws(() => store.transition({ event_type: "state_changed", data: { x: 1 } }, () => {
    store.db.prepare("INSERT INTO settings (key, value) VALUES ('k', 'v')").run();
    throw new Error("boom");
  }));
  assert.equal(store.log.count(), 0);
  assert.equal(store.db.prepare("SELECT * FROM settings WHERE key = 'k'").get(), undefined);
});

void test("a database from an older schema version is migrated in place, keeping its records", (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  fs.mkdirSync(paths.stateDir, { recursive: true });
  // Exactly what version 1 wrote, frozen here: the first migration's SQL and one recorded task.
  const old = new DatabaseSync(paths.database);
  const v1 = MIGRATIONS.find((m) => m.version === 1);
  assert.ok(v1);
  old.exec(v1.sql);
  old.exec("PRAGMA user_version = 1");
  old.prepare("INSERT INTO tasks (id, description, created_at, updated_at, status, session_id) VALUES ('abcd1234', 'old task', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'completed', 's')").run();
  old.prepare("INSERT INTO events (timestamp, event_type, task_id, data, session_id) VALUES ('2026-01-01T00:00:00Z', 'task_started', 'abcd1234', '{}', 's')").run();
  old.close();

  const store = Store.open(paths, { writer: true, command: "test" });
  t.after(() => store.close());
  assert.equal((store.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, LATEST_SCHEMA_VERSION);
  assert.equal((store.db.prepare("SELECT description FROM tasks WHERE id = 'abcd1234'").get() as { description: string }).description, "old task");
  assert.equal(store.log.query({ taskId: "abcd1234" }).length, 1);
});
