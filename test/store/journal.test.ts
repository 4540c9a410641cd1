// The journal: every entry committed in order, events numbered and published after their commit
// (never before), batching, the window after a commit, failures, and the bus's replay — on both
// transports (the store's own connection, and the writer thread).

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import type { LogEntry } from "../../src/domain/events.ts";
import { CommitFailed } from "../../src/store/journal.ts";
import { SqliteStore, type JournalTransport } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { makeProject, pageCount } from "../support/project.ts";

const TRANSPORTS: JournalTransport[] = ["inline", "thread"];

function open(t: { after: (fn: () => unknown) => void }, journal: JournalTransport, extra: { batchWindowMs?: number; maxPageCount?: number } = {}) {
  const p = makeProject();
  t.after(() => p.cleanup());
  const paths = projectPaths(p.dir);
  const store = SqliteStore.open(paths, { writer: true, command: "test", journal, ...extra });
  t.after(() => store.close());
  return { store, paths };
}

const ev = (n: number) => ({ event: { event_type: "item_status" as const, task_id: "run", data: { n } } });

function numbers(file: string): number[] {
  const db = new DatabaseSync(file);
  try {
    return (db.prepare("SELECT data FROM events WHERE event_type = 'item_status' ORDER BY id").all() as { data: string }[]).map((r) => (JSON.parse(r.data) as { n: number }).n);
  } finally {
    db.close();
  }
}

for (const transport of TRANSPORTS) {
  void test(`${transport}: staged entries are committed in order, and entries staged together share a commit`, async (t) => {
    const { store, paths } = open(t, transport);
    for (let n = 0; n < 300; n++) {
      store.journal.stage(ev(n));
      if (n % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await store.journal.flush();
    assert.deepEqual(numbers(paths.database), Array.from({ length: 300 }, (_, n) => n));
    assert.ok(store.journal.stats.commits < 300, `${store.journal.stats.commits} commits for 300 entries`);
  });

  void test(`${transport}: events reach the bus after their commit, numbered in order; commit() returns them`, async (t) => {
    const { store, paths } = open(t, transport);
    const seen: LogEntry[] = [];
    store.journal.bus.subscribe((e) => {
      // Published only once durable: a second connection already sees it.
      const db = new DatabaseSync(paths.database);
      try {
        assert.ok(db.prepare("SELECT 1 FROM events WHERE id = ?").get(e.id) !== undefined, `event ${e.id} published before its commit`);
      } finally {
        db.close();
      }
      seen.push(e);
    });
    store.journal.stage(ev(1));
    store.journal.stage(ev(2));
    const logged = await store.journal.commit({ events: [ev(3).event, ev(4).event], changes: [{ type: "metrics_saved", metrics: await store.queries.metrics() }] });
    assert.deepEqual(logged.map((e) => e.data["n"]), [3, 4]);
    assert.deepEqual(seen.map((e) => e.data["n"]), [1, 2, 3, 4], "everything staged before a commit is committed with it, in order");
    const ids = seen.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, 4);
    assert.deepEqual(logged.map((e) => e.id), ids.slice(2));
    assert.equal(store.journal.bus.lastSeq, ids[3]);
    assert.ok(seen.every((e) => e.session_id === store.sessionId));
  });

  void test(`${transport}: what is staged within the window after a commit waits for it; flush() does not`, { timeout: 30_000 }, async (t) => {
    const { store, paths } = open(t, transport, { batchWindowMs: 60_000 });
    store.journal.stage(ev(0));
    await store.journal.flush();
    for (let n = 1; n <= 20; n++) {
      store.journal.stage(ev(n));
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(store.journal.stats.commits, 1, "nothing committed within the window");
    await store.journal.flush();
    assert.equal(store.journal.stats.commits, 2, "the whole window's entries in one commit");
    assert.deepEqual(numbers(paths.database), Array.from({ length: 21 }, (_, n) => n));
  });

  void test(`${transport}: a full disk (SQLITE_FULL) fails with a clear error and loses nothing committed before it`, async (t) => {
    const p = makeProject();
    t.after(() => p.cleanup());
    const paths = projectPaths(p.dir);
    await SqliteStore.open(paths, { writer: true, command: "test" }).close();
    const pages = pageCount(paths.database);
    const store = SqliteStore.open(paths, { writer: true, command: "test", journal: transport, maxPageCount: pages + 2 });
    t.after(() => store.close());
    let failure: CommitFailed | undefined;
    store.journal.onFailure = (e) => (failure = e);
    const published: number[] = [];
    store.journal.bus.subscribe((e) => published.push(e.data["n"] as number));
    let committed = 0;
    await assert.rejects(async () => {
      for (let n = 1; n < 1000; n++) {
        await store.journal.commit({ event: { event_type: "item_status", task_id: "run", data: { n, padding: "x".repeat(3000) } } });
        committed = n;
      }
    }, (e: unknown) => e instanceof CommitFailed && e.diskFull && /disk is full/.test(e.message) && e.message.includes(paths.database) && /intact/.test(e.message));
    assert.ok(committed > 0, "some entries were committed before the limit");
    assert.ok(failure instanceof CommitFailed, "onFailure was told");
    assert.throws(() => store.journal.stage(ev(5000)), CommitFailed);
    assert.deepEqual(published, Array.from({ length: committed }, (_, i) => i + 1), "only committed events were published");
    assert.deepEqual(numbers(paths.database), Array.from({ length: committed }, (_, i) => i + 1));
  });
}

void test("follow() hands a reader the history after a sequence number, then the live tail, with no gap and no duplicate", async (t) => {
  const { store } = open(t, "inline");
  for (let n = 1; n <= 5; n++) await store.journal.commit(ev(n));
  const after = (await store.queries.events({ last: 5 }))[1]!.id;
  const seen: number[] = [];
  // An event committed while the history is being read must come once, after the history.
  const history = async function* (from: number) {
    let first = true;
    for await (const e of store.queries.eachEvent({ after: from })) {
      if (first) {
        first = false;
        await store.journal.commit(ev(6));
      }
      yield e;
    }
  };
  const unsubscribe = await store.journal.bus.follow(after, history, (e) => void seen.push(e.data["n"] as number));
  await store.journal.commit(ev(7));
  unsubscribe();
  await store.journal.commit(ev(8));
  assert.deepEqual(seen, [3, 4, 5, 6, 7]);
});
