// The library API, as a program embedding Viable uses it: the use cases from src/index.ts, one
// cycle run in-process with the real command runtime, followed on the journal's event bus, then
// read back through the API and the CLI.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  collectState, CycleStopped, openProject, runCli, runTask, type LogEntry, type RunTaskOptions,
} from "../../src/index.ts";
import { blockedAgent, blockingAgent, e2eProject, isRunning, pidsCarrying, stateOf } from "../support/e2e.ts";

function options(task: string, signal: AbortSignal): RunTaskOptions {
  return { task, autoApprove: false, interactive: false, signal, ask: () => Promise.reject(new Error("no question expected")) };
}

void test("openProject and runTask run one cycle in-process; its events arrive on the bus; the API and the CLI see it", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo 'export const greet = () => \"hi\";' > greet.js && echo 'wrote greet.js'");
  p.commitAll("agents");

  const project = await openProject(p.dir, { writer: true, command: "embedding-test", sessionId: "embedded-session" });
  t.after(() => project.close());
  const live: LogEntry[] = [];
  project.store.journal.bus.subscribe((e) => live.push(e));

  const result = await runTask(project, { ...options("Add a greeting function", new AbortController().signal), taskId: "lib00001" });
  assert.equal(result.task_id, "lib00001");
  assert.equal(result.success, true);
  assert.equal(result.audit_passed, true);
  assert.deepEqual(result.agents_invoked, ["s1-code-writer"]);
  assert.equal(result.s1_results[0]?.output, "wrote greet.js");
  assert.match(p.read("greet.js"), /greet/);

  const events = await project.store.queries.events({ taskId: "lib00001" });
  assert.equal(events[0]?.event_type, "task_started");
  assert.equal(events.at(-1)?.event_type, "task_completed");
  assert.ok(events.every((e) => e.session_id === "embedded-session"));
  // The bus had every one of them, committed, in order, with the same sequence numbers.
  assert.deepEqual(live.filter((e) => e.task_id === "lib00001").map((e) => [e.id, e.event_type]), events.map((e) => [e.id, e.event_type]));
  const finished = live.find((e) => e.event_type === "agent_completed");
  assert.equal(finished?.data["summary"], "wrote greet.js");

  const state = await collectState(project);
  assert.equal(state.current_task?.id, "lib00001");
  assert.equal(state.current_task?.status, "completed");
  assert.equal((await project.store.queries.taskSummary("lib00001")).status, "completed");

  // While the embedding program holds the writer lock, the CLI's readers still see everything...
  assert.equal((await stateOf(p.dir)).current_task?.status, "completed");
  // ...and runCli is the CLI itself, with its output captured.
  const out: string[] = [];
  const captured: NonNullable<Parameters<typeof runCli>[1]> = { out: (s) => out.push(s), err: (s) => out.push(`ERR ${s}`), interactive: false };
  assert.equal(await runCli(["log", "--summary", "--task", "lib00001", "--json", "-d", p.dir], captured), 0);
  assert.equal((JSON.parse(out.join("")) as { agents_invoked: string[] }).agents_invoked[0], "s1-code-writer");
  await project.close();
  assert.equal((await p.viable("run", "Add a farewell function")).code, 0, "closing released the writer lock");
});

void test("aborting runTask's signal cancels the running agent and rejects with CycleStopped", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", blockingAgent(p.sig("agent")), { timeout: 30 });
  p.commitAll("agents");
  const project = await openProject(p.dir, { writer: true, command: "embedding-test" });
  t.after(() => project.close());
  const controller = new AbortController();

  const cycle = runTask(project, options("Add a greeting function", controller.signal));
  const agent = await blockedAgent(p.sig("agent"));
  controller.abort(new CycleStopped("interrupted", "the embedding program changed its mind"));
  await assert.rejects(cycle, (e: unknown) => e instanceof CycleStopped && e.kind === "interrupted" && e.message === "the embedding program changed its mind");
  assert.deepEqual(pidsCarrying(agent.marker), []);
  assert.ok(!agent.pids.some(isRunning));
  const task = (await collectState(project)).current_task;
  assert.equal(task?.status, "failed");
  assert.equal(task?.failure_reason, "the embedding program changed its mind");
});
