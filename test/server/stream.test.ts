// The live stream against a `viable loop` running in another process: events arrive as they are
// committed, a reconnect with Last-Event-ID gets exactly what it missed, a client too far behind is
// told to resync, heartbeats flow, and an attempt's output arrives from its transcript while the
// agent still runs.

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { importPlan, loopProject, startLoop } from "../loop/support.ts";
import { eventType, journalEvents, serve, sse } from "./support.ts";

/** Agents print a line, wait for the test's release file, print another and change a file. */
function gatedProject(t: { after: (fn: () => void) => void }, ids: string[]) {
  const p = loopProject(t, ids.map((id, i) => ({ id, ...(i > 0 ? { dependencies: [ids[i - 1]!] } : {}) })), { config: { loop: { concurrency: 1 } } });
  p.script(`echo "line one $VIABLE_ITEM_ID"; while [ ! -f '${p.sig("release")}'-"$VIABLE_ITEM_ID" ]; do sleep 0.02; done; echo "line two $VIABLE_ITEM_ID"; echo x > "f-$VIABLE_ITEM_ID.txt"`);
  return { ...p, release: (id: string) => fs.writeFileSync(`${p.sig("release")}-${id}`, "") };
}

void test("events of a loop in another process arrive live; a reconnect with Last-Event-ID gets exactly what it missed", async (t) => {
  const p = gatedProject(t, ["a", "b", "c"]);
  assert.equal((await importPlan(p)).code, 0);
  const s = await serve(t, [p.dir]);
  const id = s.projects[0]!.id;
  const first = await sse(s, `/api/projects/${id}/stream`);
  assert.equal(first.status, 200);
  t.after(() => first.close());
  const loop = startLoop(p.dir);
  t.after(() => loop.child.kill("SIGKILL"));

  // a's agent is running: its output arrives through the same kind of connection, from its transcript.
  const invoked = await first.waitFor((e) => eventType(e) === "agent_invoked", "a's attempt to start");
  const attemptId = (JSON.parse(invoked.data) as { data: { attempt_id: string } }).data.attempt_id;
  const watcher = await sse(s, `/api/projects/${id}/stream?attempt=${attemptId}`);
  t.after(() => watcher.close());
  await watcher.waitFor((e) => e.event === "output" && e.data.includes("line one a"), "a's first line while it runs");
  assert.equal(watcher.events.some((e) => e.data.includes("line two a")), false, "the agent has not printed it yet");
  p.release("a");
  await watcher.waitFor((e) => e.event === "output" && e.data.includes("line two a"), "a's second line");
  await watcher.waitFor((e) => e.event === "output" && (JSON.parse(e.data) as { done: boolean }).done, "the end of a's output");

  await first.waitFor((e) => eventType(e) === "item_passed", "a to pass");
  // The first client drops out here; b runs meanwhile.
  const seen = journalEvents(first.events);
  const lastSeen = seen.at(-1)!.id;
  first.close();
  p.release("b");
  p.release("c");
  const r = await loop.done;
  assert.equal(r.code, 0, r.stderr);

  const resumed = await sse(s, `/api/projects/${id}/stream`, { "Last-Event-ID": String(lastSeen) });
  t.after(() => resumed.close());
  const last = (await s.api<{ last_seq: number }>("GET", `/api/projects/${id}/events?limit=1`)).body.last_seq;
  await resumed.waitFor((e) => e.id === String(last), `event ${last}`);
  const all = [...seen, ...journalEvents(resumed.events)].map((e) => e.id);
  const firstSeen = seen[0]!.id;
  assert.deepEqual(all, Array.from({ length: last - firstSeen + 1 }, (_, i) => firstSeen + i), "every event once, in order, none missed");
  // What the stream carried is what the journal holds.
  const journal = (await s.api<{ events: { id: number; event_type: string }[] }>("GET", `/api/projects/${id}/events?after=${firstSeen - 1}&limit=1000`)).body.events;
  assert.deepEqual([...seen, ...journalEvents(resumed.events)].map((e) => [e.id, e.event_type]), journal.map((e) => [e.id, e.event_type]));
});

void test("a client too far behind gets resync; heartbeats keep coming; a reset journal makes followers resync", async (t) => {
  const p = loopProject(t, [{ id: "a" }, { id: "b" }]);
  assert.equal((await importPlan(p)).code, 0);
  assert.equal((await p.loop()).code, 0);
  const s = await serve(t, [p.dir], { stream: { maxReplay: 5, heartbeatMs: 30 } });
  const id = s.projects[0]!.id;
  const last = (await s.api<{ last_seq: number }>("GET", `/api/projects/${id}/events?limit=1`)).body.last_seq;
  assert.ok(last > 5);

  const behind = await sse(s, `/api/projects/${id}/stream?after=0`);
  t.after(() => behind.close());
  const resync = await behind.waitFor((e) => e.event === "resync", "resync");
  assert.deepEqual(JSON.parse(resync.data), { epoch: "initial", last_seq: last, reason: "too far behind to replay" });
  assert.equal(resync.id, String(last), "the client's Last-Event-ID moves past what it will refetch");
  const hello = behind.events.find((e) => e.event === "hello")!;
  assert.deepEqual(JSON.parse(hello.data), { epoch: "initial", last_seq: last });
  const beat = await behind.waitFor((e) => e.event === "heartbeat", "a heartbeat");
  assert.equal((JSON.parse(beat.data) as { last_seq: number }).last_seq, last);
  assert.equal(journalEvents(behind.events).length, 0, "nothing replayed");

  const near = await sse(s, `/api/projects/${id}/stream?after=${last - 3}`);
  t.after(() => near.close());
  await near.waitFor((e) => e.id === String(last), "the last event");
  assert.deepEqual(journalEvents(near.events).map((e) => e.id), [last - 2, last - 1, last]);

  // `viable reset` empties the journal: a follower is told to start afresh, and so is one that
  // connects later with what it knew before (its hello names a new epoch).
  assert.equal((await p.viable("reset", "--yes")).code, 0);
  const after = await near.waitFor((e) => e.event === "resync", "resync after the reset");
  const epoch = (JSON.parse(after.data) as { epoch: string }).epoch;
  assert.notEqual(epoch, "initial");
  const later = await sse(s, `/api/projects/${id}/stream`, { "Last-Event-ID": String(last) });
  t.after(() => later.close());
  const greeting = await later.waitFor((e) => e.event === "hello", "hello");
  assert.equal((JSON.parse(greeting.data) as { epoch: string }).epoch, epoch);
});

void test("a long replay is sent at the pace the client takes it: every event, in order, however small the live backlog limit", async (t) => {
  const p = loopProject(t, [{ id: "a" }]);
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test" });
  const filler = "x".repeat(1000);
  for (let batch = 0; batch < 30; batch++) {
    await store.journal.commit({ events: Array.from({ length: 300 }, (_, i) => ({ event_type: "loop_note" as const, data: { n: batch * 300 + i, filler } })) });
  }
  await store.close();
  const s = await serve(t, [p.dir], { stream: { maxPendingBytes: 64 * 1024 } });
  const id = s.projects[0]!.id;
  const replay = await sse(s, `/api/projects/${id}/stream?after=0`);
  t.after(() => replay.close());
  await replay.waitFor((e) => e.id === "9000", "event 9000");
  assert.equal(replay.events.filter((e) => e.event === "resync").length, 0);
  assert.deepEqual(journalEvents(replay.events).map((e) => e.id), Array.from({ length: 9000 }, (_, i) => i + 1));
});
