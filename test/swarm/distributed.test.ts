// A distributed loop end to end: one coordinator (`viable loop` with a Postgres store and
// loop.remote), worker processes each in a clone of their own, the shared remote a bare repository.

import assert from "node:assert/strict";
import { test } from "node:test";
import { importPlan } from "../loop/support.ts";
import { testDatabase } from "../support/postgres.ts";
import { swarmProject } from "./support.ts";

const SCRIPT = `printf '%s\\n' "$VIABLE_ITEM_ID" > "$VIABLE_ITEM_ID.txt"\n`;

void test("workers on three machines work a plan; the coordinator merges each item once and publishes the integration branch", async (t) => {
  const url = await testDatabase(t);
  const items = Array.from({ length: 8 }, (_, i) => ({ id: `i${i + 1}`, description: `write i${i + 1}.txt`, ...(i >= 6 ? { dependencies: ["i1"] } : {}) }));
  const s = swarmProject(t, items, url);
  s.p.script(SCRIPT);
  assert.equal((await importPlan(s.p)).code, 0);
  const workers = [s.worker("m1", "--concurrency", "2"), s.worker("m2", "--concurrency", "2"), s.worker("m3", "--concurrency", "2")];
  const run = await s.p.loop();
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-3000));
  assert.equal(run.of("item_passed").length, 8);
  assert.deepEqual(s.p.sessionCommits().length, 8);
  for (const i of items) assert.equal(s.p.git("show", `main:${i.id}.txt`), `${i.id}\n`);
  // Published: the remote's main is the coordinator's.
  assert.equal(s.p.git("ls-remote", s.remote, "refs/heads/main").split(/\s/)[0], s.p.git("rev-parse", "main").trim());
  // The work was done by the workers, not here.
  const taken = workers.map((w) => w.lines.filter((l) => l.startsWith("✓")).length);
  assert.equal(taken.reduce((a, b) => a + b, 0), 8, JSON.stringify(workers.map((w) => w.lines)));
});
