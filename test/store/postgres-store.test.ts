// The store on Postgres: the same records, sequence numbers and named queries as the SQLite file,
// reached through `store.url` or VIABLE_DATABASE_URL; the commands that read (state, log, plan
// show) and act (run, loop) work against either. Each test has a database of its own on a
// throwaway cluster (test/support/postgres.ts).

import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { viable } from "../support/cli.ts";
import { serve } from "../server/support.ts";
import { importPlan, loopProject } from "../loop/support.ts";
import { freePort, restartableDatabase, testDatabase } from "../support/postgres.ts";
import { pgProxy } from "../support/pg-proxy.ts";
import { isUserError } from "../../src/domain/errors.ts";
import { reconcile } from "../../src/engine/reconcile.ts";
import { JournalTail } from "../../src/store/journal-tail.ts";
import { openStore } from "../../src/store/store.ts";
import { LOCKS } from "../../src/store/postgres/schema.ts";
import { waitFor } from "../support/e2e.ts";
import { projectPaths } from "../../src/workspace/paths.ts";

const ITEMS = [
  { id: "a", description: "write a.txt" },
  { id: "b", description: "write b.txt", dependencies: ["a"] },
  { id: "c", description: "write c.txt" },
];
const SCRIPT = `printf '%s\\n' "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"\n`;

/** A plan worked by the local loop, its records in the store `url` names (none: the SQLite file). */
async function workedPlan(t: Parameters<typeof loopProject>[0], url?: string) {
  const p = loopProject(t, ITEMS, url ? { config: { store: { url } } } : {});
  p.script(SCRIPT);
  assert.equal((await importPlan(p)).code, 0);
  const run = await p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const state = JSON.parse((await viable(["state", "--json", "-d", p.dir])).stdout) as Record<string, unknown>;
  const show = await viable(["plan", "show", "--json", "-d", p.dir]);
  const log = await viable(["log", "--jsonl", "--all", "-d", p.dir]);
  return { p, run, state, show: JSON.parse(show.stdout) as { items: { id: string; status: string; attempts: number }[] }, log: log.stdout.trim().split("\n").map((l) => JSON.parse(l) as { event_type: string }) };
}

void test("a plan worked on Postgres leaves the same records as on the SQLite file: state, log and plan show agree", async (t) => {
  const url = await testDatabase(t);
  const onPg = await workedPlan(t, url);
  const onFile = await workedPlan(t);
  const items = (r: typeof onPg) => r.show.items.map((i) => [i.id, i.status, i.attempts]);
  assert.deepEqual(items(onPg), [["a", "passed", 1], ["b", "passed", 1], ["c", "passed", 1]]);
  assert.deepEqual(items(onPg), items(onFile));
  const types = (r: typeof onPg) => r.log.map((e) => e.event_type).filter((e) => e.startsWith("loop_") || e === "item_passed").sort();
  assert.deepEqual(types(onPg), types(onFile));
  assert.deepEqual(Object.keys(onPg.state).sort(), Object.keys(onFile.state).sort());
  // The dashboard's server reads the same from either store.
  const served = await serve(t, [onPg.p.dir, onFile.p.dir]);
  const projects = (await served.api<{ projects: { id: string }[] }>("GET", "/api/projects")).body.projects;
  const plans = await Promise.all(projects.map(async (pr) => (await served.api<{ items: { id: string; status: string }[]; counts: Record<string, number> }>("GET", `/api/projects/${pr.id}/plan`)).body));
  assert.deepEqual(plans.map((pl) => pl.items.map((i) => [i.id, i.status])), [items(onPg).map(([id, status]) => [id, status]), items(onFile).map(([id, status]) => [id, status])]);
  assert.deepEqual(plans[0]!.counts, plans[1]!.counts);
  // The records really are on the server, numbered 1..n in commit order.
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const ids = (await c.query<{ id: string }>("SELECT id FROM events ORDER BY id")).rows.map((r) => Number(r.id));
  const passed = (await c.query<{ n: string }>("SELECT count(*) AS n FROM plan_items WHERE status = 'passed'")).rows[0]!.n;
  await c.end();
  assert.deepEqual(ids, ids.map((_, i) => i + 1));
  assert.equal(ids.length, onPg.log.length);
  assert.equal(passed, "3");
});

void test("a second writer is refused with the holder named; readers go on; the lock is free once the holder is gone", async (t) => {
  const url = await testDatabase(t);
  const p = loopProject(t, ITEMS);
  const paths = projectPaths(p.dir);
  const first = await openStore(paths, { writer: true, command: "loop", url });
  await assert.rejects(openStore(paths, { writer: true, command: "run", url }), (e: unknown) => {
    assert.ok(isUserError(e) && e.reason === "store_locked", String(e));
    assert.match(e.message, new RegExp(`pid ${process.pid} on .*\`viable loop\``));
    assert.doesNotMatch(e.message, /password/);
    return true;
  });
  const reader = await openStore(paths, { writer: false, command: "state", url });
  assert.equal((await reader.queries.taskCounts()).completed, 0);
  await reader.close();
  await first.close();
  const second = await openStore(paths, { writer: true, command: "run", url });
  await second.close();
});

void test("a database of a newer schema, a server that is not there, a bad URL: exit 2 with the server named and the fix", async (t) => {
  const url = await testDatabase(t);
  const p = loopProject(t, ITEMS);
  assert.equal((await viable(["state", "-d", p.dir], { env: { VIABLE_DATABASE_URL: url } })).code, 0);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query("UPDATE viable_schema SET version = 99");
  await c.end();
  const newer = await viable(["state", "-d", p.dir], { env: { VIABLE_DATABASE_URL: url } });
  assert.equal(newer.code, 2);
  assert.match(newer.stderr, /schema version 99, but this Viable understands up to \d+/);
  assert.match(newer.stderr, /fix: upgrade Viable/);

  const gone = `postgres://viable:secret@127.0.0.1:${await freePort()}/nothing`;
  const away = await viable(["state", "-d", p.dir], { env: { VIABLE_DATABASE_URL: gone } });
  assert.equal(away.code, 2, away.stderr);
  assert.match(away.stderr, /postgres:\/\/viable:\*\*\*@127\.0\.0\.1:\d+\/nothing: cannot reach the Postgres store/);
  assert.doesNotMatch(away.stderr, /secret| {4}at /);
  assert.match(away.stderr, /fix: start the server/);

  p.config({ store: { url: "mysql://x" } });
  const bad = await viable(["loop", "-d", p.dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /store\.url/);
  assert.match(bad.stderr, /must be a Postgres URL/);
});

void test("the server restarted while the journal commits: every entry lands once, numbered in order, and the writer goes on", async (t) => {
  const { cluster, url } = await restartableDatabase(t);
  const p = loopProject(t, ITEMS);
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test", url });
  const committed: Promise<unknown>[] = [];
  for (let i = 0; i < 50; i++) store.journal.stage({ event: { event_type: "loop_note", data: { item: "x", message: `before ${i}` } } });
  committed.push(store.journal.flush());
  // The restart runs beside the commits (not holding up this process): batches are cut mid-transaction.
  const restarted = cluster.restart({ downMs: 1500 });
  // Staged and committed while the server is down: they wait for it.
  for (let i = 0; i < 50; i++) {
    store.journal.stage({ event: { event_type: "loop_note", data: { item: "x", message: `during ${i}` } } });
    await new Promise((r) => setTimeout(r, 20));
  }
  committed.push(store.journal.commit({ event: { event_type: "loop_note", data: { item: "x", message: "last" } } }));
  await restarted;
  await Promise.all(committed);
  await store.journal.flush();
  const events = await store.queries.events({ eventType: "loop_note" });
  assert.equal(events.length, 101);
  assert.deepEqual(events.map((e) => e.data.message), [...Array.from({ length: 50 }, (_, i) => `before ${i}`), ...Array.from({ length: 50 }, (_, i) => `during ${i}`), "last"]);
  // In commit order, each once (a batch cut off mid-transaction may have used up sequence values).
  assert.ok(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id), "sequence numbers only grow");
  // Still the writer once its presence is back: a second one is refused after the restart too.
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await waitFor(async () => (await c.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND granted", [LOCKS.writer])).rowCount === 1, "the writer lock taken again");
  await c.end();
  await assert.rejects(openStore(projectPaths(p.dir), { writer: true, command: "run", url }), /is working on this project's store/);
  await store.close();
});

void test("a COMMIT that landed but whose answer was lost: the batch sent again is recognized, nothing applied twice", async (t) => {
  const url = await testDatabase(t);
  const proxy = await pgProxy(url);
  t.after(() => proxy.close());
  const p = loopProject(t, ITEMS);
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test", url: proxy.url });
  t.after(() => store.close());
  await store.journal.commit({ event: { event_type: "loop_note", data: { item: "x", message: "before" } } });
  // The next batch commits on the server; its connection is cut before the writer hears so.
  proxy.dropNextCommitReply();
  for (let i = 0; i < 9; i++) store.journal.stage({ event: { event_type: "loop_note", data: { item: "x", message: `batch ${i}` } } });
  const committed = await store.journal.commit({ event: { event_type: "loop_note", data: { item: "x", message: "batch 9" } } });
  assert.equal(proxy.dropped(), 1, "the answer to the batch's COMMIT was lost");
  await store.journal.commit({ event: { event_type: "loop_note", data: { item: "x", message: "after" } } });
  const events = await store.queries.events({ eventType: "loop_note" });
  assert.deepEqual(events.map((e) => e.data.message), ["before", ...Array.from({ length: 10 }, (_, i) => `batch ${i}`), "after"]);
  // The writer was told the number the first, landed, COMMIT gave it.
  assert.deepEqual(committed.map((e) => e.id), [events[10]!.id]);
});

void test("a follower hears of another process's commits through NOTIFY, not its timer — and again after the server restarted", async (t) => {
  const { cluster, url } = await restartableDatabase(t);
  const p = loopProject(t, ITEMS);
  const writer = await openStore(projectPaths(p.dir), { writer: true, command: "test", url });
  t.after(() => writer.close());
  const reader = await openStore(projectPaths(p.dir), { writer: false, command: "serve", url });
  t.after(() => reader.close());
  // A timer that would look only after the test's own limit: what arrives was announced.
  const tail = new JournalTail(reader.queries, { wake: (poke) => reader.watchCommits(poke), pollMs: 3_600_000 });
  await tail.start();
  t.after(() => tail.close());
  const heard: string[] = [];
  tail.bus.subscribe((e) => heard.push(String(e.data.message)));
  // Committed once the reader listens (a connection made also looks once, which would hide a missing NOTIFY).
  const listening = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await waitFor(async () => (await c.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'viable serve (listen)' AND query = 'LISTEN viable_journal' AND state = 'idle'")).rowCount === 1, "the reader listening");
    } finally {
      await c.end();
    }
  };
  await listening();
  await writer.journal.commit({ event: { event_type: "loop_note", data: { item: "x", message: "first" } } });
  await waitFor(() => heard.includes("first"), "the first commit heard");
  await cluster.restart({ downMs: 500 });
  await listening();
  await writer.journal.commit({ event: { event_type: "loop_note", data: { item: "x", message: "after the restart" } } });
  await waitFor(() => heard.includes("after the restart"), "a commit after the restart heard");
  assert.deepEqual(heard, ["first", "after the restart"]);
});

void test("start-up reconciliation on a shared store leaves a live process's work alone and closes a dead one's", async (t) => {
  const url = await testDatabase(t);
  const p = loopProject(t, ITEMS);
  const paths = projectPaths(p.dir);
  const worker = await openStore(paths, { writer: false, command: "worker", url, sessionId: "worker-session" });
  const now = new Date().toISOString();
  const task = (id: string) => ({ id, description: id, created_at: now, updated_at: now, status: "in_progress" as const, complexity: "unknown", assigned_agents: [], metadata: {}, session_id: worker.sessionId, owner_pid: 999_999, failure_reason: null });
  await worker.journal.commit({ changes: [{ type: "task_inserted", task: task("live-task") }] });
  const coordinator = await openStore(paths, { writer: true, command: "loop", url });
  assert.deepEqual((await reconcile(coordinator, 100)).interruptedTasks, []);
  await worker.close();
  assert.deepEqual((await reconcile(coordinator, 100)).interruptedTasks, ["live-task"]);
  assert.equal((await coordinator.queries.task("live-task"))?.status, "failed");
  await coordinator.close();
});
