// A run's budget across workers: each worker sees only its own attempts, so no one of them crosses
// budgets.run — together they do. The real Claude Code on two workers against the scripted model
// server, each item's one model call 110 tokens, a budget of 150: the coordinator adds up what
// the workers' attempts recorded and starts nothing more once it is crossed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { startLoop } from "../loop/support.ts";
import { testDatabase } from "../support/postgres.ts";
import { machines } from "../swarm/support.ts";
import { explain, runtimeWorld } from "./world.ts";

void test("distributed, claude on two workers: budgets.run in tokens is held across them; nothing starts once together they crossed it", { timeout: 300_000 }, async (t) => {
  const url = await testDatabase(t);
  const world = await runtimeWorld(t, {
    clis: ["claude"],
    script: [
      { reply: { text: "Done with one.", usage: { inputTokens: 101, outputTokens: 9 } } },
      { reply: { text: "Done with the other.", usage: { inputTokens: 101, outputTokens: 9 } } },
    ],
    config: { verify: [], store: { url }, budgets: { run: { tokens: 150 } } },
  });
  const m = machines(t, world.env);
  const p = world.project;
  const item = (id: string, extra: object = {}) => ({ id, name: `Item ${id}`, description: "a plain item that changes one file in the project tree", agent: "generalist-coder", ...extra });
  // c waits for both: by the time it could start, a and b have each spent 110 tokens on their worker.
  const features = [item("a"), item("b"), item("c", { dependencies: ["a", "b"] })];
  p.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  p.config({ ...JSON.parse(p.read(".viable/config.json")) as object, loop: { concurrency: 2, remote: m.remote } });
  p.commitAll("plan, distributed config");
  p.git("push", "--quiet", m.remote, "main");
  assert.equal((await world.viable("plan", "import", `${p.dir}/feature_list.json`)).code, 0);

  const workers = [m.worker("m1"), m.worker("m2")];
  const run = await startLoop(p.dir).done;
  const events = await world.events();
  assert.equal(run.code, 1, explain(run, events));
  const [finished] = run.of("loop_finished");
  assert.equal(finished?.outcome, "budget_exceeded", explain(run, events));
  assert.match(finished?.message ?? "", /^run budget exceeded: 220 tokens used of 150 across the workers; raise budgets\.run in \.viable\/config\.json/);
  // No worker was sent c. (a and b are done: merged now, or — when the stop came between a worker's
  // answer and its merge here — merged by the next run without running their agents again.)
  const taken = () => workers.flatMap((w) => w.lines.filter((l) => l.startsWith("▶")).map((l) => l.split(" ")[1])).sort();
  assert.deepEqual(taken(), ["a", "b"], JSON.stringify(workers.map((w) => w.lines)));
  const show = async () => (JSON.parse((await world.viable("plan", "show", "--json")).stdout) as { items: { id: string; status: string }[] }).items.map((i) => [i.id, i.status]);
  assert.deepEqual((await show()).find(([id]) => id === "c"), ["c", "pending"], "c waits for a run with budget left");
  world.server.assertScriptConsumed();

  // A new budget: the next run finishes what was done and works c — a and b are not worked again.
  p.config({ ...JSON.parse(p.read(".viable/config.json")) as object, budgets: { run: { tokens: 1000 } } });
  world.server.enqueue({ reply: { text: "Done with c.", usage: { inputTokens: 101, outputTokens: 9 } } });
  const next = await startLoop(p.dir, "--allow-dirty").done;
  assert.equal(next.code, 0, explain(next, await world.events()));
  assert.deepEqual(await show(), [["a", "passed"], ["b", "passed"], ["c", "passed"]]);
  assert.deepEqual(taken(), ["a", "b", "c"], JSON.stringify(workers.map((w) => w.lines)));
  world.server.assertScriptConsumed();
});
