// The claude warm pool end to end: processes started ahead of need serve the next agent, none
// outlives `viable run`, and after a kill -9 of Viable the next command reaps what is left.

import assert from "node:assert/strict";
import { test } from "node:test";
import fs from "node:fs";
import path from "node:path";
import { createStreamHold, shell, text } from "../support/model-server/script.ts";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { isRunning, stateOf, waitFor } from "../support/e2e.ts";
import { attemptEnds, explain, ofType, processesMarked, runtimeWorld, streamed, TEST_TIMEOUT, warmPrefix } from "./world.ts";

const WARM = { runtimes: { claude: { warm_pool: { size: 1, max_tasks: 1 } } } };

void test("warm pool: the second agent of a cycle runs on a pre-started claude; none survives the run", TEST_TIMEOUT, async (t) => {
  // One body for both agents: the system prompt is part of a warm process's argv, hence its key.
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: WARM,
    agents: { "code-writer": {}, tester: {} },
    script: [text("Code written."), text("Tests written.")],
  });
  const { result, cycle } = await w.run("Add a greeting function with tests", "--medium");
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  assert.deepEqual(cycle.s1_results.map((r) => [r.agent, r.output]), [["code-writer", "Code written."], ["tester", "Tests written."]]);
  assert.deepEqual(streamed(events, "started").map((e) => e["command"]), ["claude (warm pool, cold)", "claude (warm pool, warm)"]);
  assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["succeeded", "succeeded"]);
  assert.deepEqual(processesMarked(warmPrefix(w.project.dir)), [], "closeAll ended every warm process");
  assert.equal(fs.existsSync(path.join(w.project.dir, ".viable", "state", "warm-pool")), false, "nothing left for the next start to look for");
  w.server.assertScriptConsumed();
});

void test("warm pool: after kill -9 of viable, the next `viable state` reaps the warm processes", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, { clis: ["claude"], config: WARM });
  const hold = createStreamHold();
  t.after(() => hold.release());
  w.server.enqueue({ reply: { text: "Working on it for a long time", hold } });
  const run = w.start("run", "Write the file", "--simple", "--json");
  await hold.reached;
  const prefix = warmPrefix(w.project.dir);
  // One process serving the task (waiting on the held answer), one pre-started for the next task.
  const alive = processesMarked(prefix);
  assert.equal(new Set(alive.map((p) => p.marker)).size, 2, JSON.stringify(alive));
  run.child.kill("SIGKILL");
  await run.done;
  // An idle warm process ends by itself once its stdin closes with Viable, or lives on until it
  // reads that; the one waiting on the model does not notice anything.
  const survivors = processesMarked(prefix);
  assert.ok(survivors.length >= 1, "the serving process outlives viable");
  assert.ok(fs.existsSync(path.join(w.project.dir, ".viable", "state", "warm-pool")), "the killed viable left the flag that sends the next start looking");

  const state = await stateOf(w.project.dir);
  assert.deepEqual(processesMarked(prefix), [], "nothing of the pool survives the next command");
  assert.equal(fs.existsSync(path.join(w.project.dir, ".viable", "state", "warm-pool")), false, "the flag is cleared once they are reaped");
  assert.equal(state.current_task?.status, "failed");
  assert.match(state.current_task?.failure_reason ?? "", /interrupted/);
  const events = await w.events();
  const reaped = ofType(events, "orphans_reaped").filter((e) => e.data["warm_pool"] === true);
  assert.equal(reaped.length, 1, explain({ code: 0, signal: null, stdout: "", stderr: "" }, events));
  const reapedPids = (reaped[0]?.data["processes"] as { pid: number }[]).map((p) => p.pid);
  // The attempt's pid is the warm process that was serving it (recorded when the task was handed over).
  const serving = await attemptPids(w.project.dir);
  assert.equal(serving.length, 1);
  assert.ok(alive.some((p) => p.pid === serving[0]));
  assert.ok(reapedPids.includes(serving[0]!), `the serving process ${serving[0]} was reaped: ${JSON.stringify(reapedPids)}`);
  assert.ok(reapedPids.every((pid) => alive.some((a) => a.pid === pid)), `reaped only the pool's processes: ${JSON.stringify(reapedPids)}`);
});

void test("warm pool: idle timeout while a setsid'd tool child runs → the task is stopped, nothing survives", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    config: { ...WARM, retries: { max: 0 } },
    agents: { "generalist-coder": { fields: { idle_timeout: 6, timeout: 30 } } },
  });
  const pidFile = w.project.sig("tool.pid");
  w.server.enqueue(shell(`echo $$ > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}' && exec sleep 1000`), text("never reached"));
  const run = w.start("run", "Write the file", "--simple", "--json");
  const toolPid = Number(await waitFor(() => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").trim() : undefined), pidFile, 30_000));
  const prefix = warmPrefix(w.project.dir);
  assert.ok(processesMarked(prefix).some((p) => p.pid === toolPid), "the tool's process carries the warm process's marker");
  const result = await run.done;
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["timed_out"], explain(result, events));
  assert.match(String(ends[0]?.["error"]), /no output for 6 s/);
  assert.equal(isRunning(toolPid), false, "the silent tool command was stopped");
  assert.deepEqual(processesMarked(prefix), [], "nothing of the pool survives the run");
  assert.equal(w.server.remainingSteps(), 1);
});

async function attemptPids(dir: string): Promise<number[]> {
  const store = await openStore(projectPaths(dir), { writer: false, command: "test" });
  try {
    const task = await store.queries.latestTask();
    return task ? (await store.queries.attemptsOfTask(task.id)).map((a) => a.pid ?? 0) : [];
  } finally {
    await store.close();
  }
}
