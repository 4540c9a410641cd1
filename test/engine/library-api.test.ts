// The library API, as a program embedding Viable uses it: everything from src/index.ts, one cycle
// run in-process with the real command runtime, then read back through the API and the CLI.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AgentRegistry, collectState, CycleStopped, loadConfig, resolveProject, runCli, runCycle, runtimeFor, Store, type CycleOptions,
} from "../../src/index.ts";
import { blockedAgent, blockingAgent, e2eProject, isRunning, pidsCarrying, stateOf } from "../support/e2e.ts";

function options(task: string, signal: AbortSignal, progress: string[]): CycleOptions {
  return {
    task, autoApprove: false, interactive: false, signal,
    ask: () => Promise.reject(new Error("no question expected")),
    progress: (line) => progress.push(line),
  };
}

void test("runCycle, Store and friends run one cycle in-process, visible to the API and the CLI", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo 'export const greet = () => \"hi\";' > greet.js && echo 'wrote greet.js'");
  p.commitAll("agents");

  const paths = await resolveProject(p.dir);
  const config = loadConfig(paths.configFile);
  const store = Store.open(paths, { writer: true, command: "embedding-test", sessionId: "embedded-session" });
  t.after(() => store.close());
  const registry = AgentRegistry.load(paths, config.defaults.runtime);
  const progress: string[] = [];

  const result = await runCycle({ store, config, registry, runtimeFor }, { ...options("Add a greeting function", new AbortController().signal, progress), taskId: "lib00001" });
  assert.equal(result.task_id, "lib00001");
  assert.equal(result.success, true);
  assert.equal(result.audit_passed, true);
  assert.deepEqual(result.agents_invoked, ["s1-code-writer"]);
  assert.equal(result.s1_results[0]?.output, "wrote greet.js");
  assert.match(p.read("greet.js"), /greet/);
  assert.ok(progress.includes("S1: code-writer succeeded: wrote greet.js"), progress.join("\n"));

  const events = store.log.query({ taskId: "lib00001" });
  assert.equal(events[0]?.event_type, "task_started");
  assert.equal(events.at(-1)?.event_type, "task_completed");
  assert.ok(events.every((e) => e.session_id === "embedded-session"));
  const state = collectState(store, registry);
  assert.equal(state.current_task?.id, "lib00001");
  assert.equal(state.current_task?.status, "completed");
  assert.equal(store.log.taskSummary("lib00001").status, "completed");

  // While the embedding program holds the writer lock, the CLI's readers still see everything...
  assert.equal((await stateOf(p.dir)).current_task?.status, "completed");
  // ...and runCli is the CLI itself, with its output captured.
  const out: string[] = [];
  // src/index.ts does not export the Output type runCli takes; an embedder names it this way.
  const captured: NonNullable<Parameters<typeof runCli>[1]> = { out: (s) => out.push(s), err: (s) => out.push(`ERR ${s}`), interactive: false };
  assert.equal(await runCli(["log", "--summary", "--task", "lib00001", "--json", "-d", p.dir], captured), 0);
  assert.equal((JSON.parse(out.join("")) as { agents_invoked: string[] }).agents_invoked[0], "s1-code-writer");
  store.close();
  assert.equal((await p.viable("run", "Add a farewell function")).code, 0, "closing released the writer lock");
});

void test("aborting runCycle's signal cancels the running agent and rejects with CycleStopped", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", blockingAgent(p.sig("agent")), { timeout: 30 });
  p.commitAll("agents");
  const paths = await resolveProject(p.dir);
  const config = loadConfig(paths.configFile);
  const store = Store.open(paths, { writer: true, command: "embedding-test" });
  t.after(() => store.close());
  const controller = new AbortController();

  const cycle = runCycle({ store, config, registry: AgentRegistry.load(paths, config.defaults.runtime), runtimeFor },
    options("Add a greeting function", controller.signal, []));
  const agent = await blockedAgent(p.sig("agent"));
  controller.abort(new CycleStopped("interrupted", "the embedding program changed its mind"));
  await assert.rejects(cycle, (e: unknown) => e instanceof CycleStopped && e.kind === "interrupted" && e.message === "the embedding program changed its mind");
  assert.deepEqual(pidsCarrying(agent.marker), []);
  assert.ok(!agent.pids.some(isRunning));
  const task = collectState(store, AgentRegistry.load(paths, config.defaults.runtime)).current_task;
  assert.equal(task?.status, "failed");
  assert.equal(task?.failure_reason, "the embedding program changed its mind");
});
