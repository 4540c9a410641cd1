// The coordinator's queues on pg-boss follow `loop.workers` as it is now: settings changed between
// runs apply to the jobs sent after, not only to a queue made fresh.

import assert from "node:assert/strict";
import { test } from "node:test";
import { openBoss } from "../../src/swarm/boss.ts";
import { testDatabase } from "../support/postgres.ts";

void test("a queue made under one loop.workers takes the next coordinator's heartbeat, retries and expiry; a worker's older config changes nothing", async (t) => {
  const url = await testDatabase(t);
  const first = await openBoss(url, { name: "viable test", supervise: false });
  await first.ensureQueue("viable-claude", { heartbeatSeconds: 10, retryLimit: 2, expireInSeconds: 600 }, { update: true });
  await first.stop();
  const next = await openBoss(url, { name: "viable test", supervise: false });
  t.after(() => next.stop());
  await next.ensureQueue("viable-claude", { heartbeatSeconds: 30, retryLimit: 5, expireInSeconds: 1200 }, { update: true });
  const settings = async () => {
    const q = await next.boss.getQueue("viable-claude");
    return { heartbeat: q?.heartbeatSeconds, retries: q?.retryLimit, expire: q?.expireInSeconds };
  };
  assert.deepEqual(await settings(), { heartbeat: 30, retries: 5, expire: 1200 });
  // A worker whose clone still has the old settings only makes a missing queue.
  const worker = await openBoss(url, { name: "viable worker", supervise: false, worker: true });
  t.after(() => worker.stop());
  await worker.ensureQueue("viable-claude", { heartbeatSeconds: 10, retryLimit: 2, expireInSeconds: 600 });
  assert.deepEqual(await settings(), { heartbeat: 30, retries: 5, expire: 1200 });
  const id = await next.boss.send("viable-claude", { x: 1 });
  const job = await next.boss.getJobById("viable-claude", id!);
  assert.equal(job?.heartbeatSeconds, 30);
});
