// Faults with real processes: an agent that hangs past its timeout, Ctrl-C, kill -9 of Viable
// mid-cycle, a second `viable run` on a busy project, and the kill switch. The agents block (with
// one child in their process group and one escaped through setsid) until Viable stops them; the
// test learns their pids and marker from a file they write, and checks /proc for survivors.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { json, startViable, testEnv, VIABLE_BIN } from "../support/cli.ts";
import {
  blockedAgent, blockingAgent, e2eProject, eventsOf, isRunning, ofType, pidsCarrying, stateOf, waitFor, type BlockedAgent, type CycleJson, type E2EProject,
} from "../support/e2e.ts";
import { projectPaths } from "../../src/workspace/paths.ts";

const LIMIT = { timeout: 60_000 };

/** A project whose code-writer blocks; `timeout` is the agent's own limit in seconds. */
function blockingProject(t: { after: (fn: () => void) => void }, timeout = 30, config?: Record<string, unknown>): E2EProject & { agentFile: string } {
  const p = e2eProject(config ? { config } : {});
  const agentFile = p.sig("agent");
  p.agent("code-writer", blockingAgent(agentFile), { timeout });
  p.commitAll("agents");
  t.after(() => {
    // Only on failure is anything left; never let a broken test leak sleeping processes.
    const file = agentFile;
    try {
      for (const pid of pidsCarrying(markerIn(file))) process.kill(pid, "SIGKILL");
    } catch {
      // no agent file: nothing was started
    }
    p.cleanup();
  });
  return Object.assign(p, { agentFile });
}

function markerIn(file: string): string {
  // The last field of the blocking agent's line.
  return fs.readFileSync(file, "utf8").trim().split(" ").at(-1) ?? "";
}

function assertAllGone(agent: BlockedAgent): void {
  assert.deepEqual(pidsCarrying(agent.marker), [], "no process carries the attempt's marker");
  for (const pid of agent.pids) assert.equal(isRunning(pid), false, `agent process ${pid} is gone`);
}

void test("an agent that hangs past its timeout has its whole process tree killed; the outcome is timed_out", LIMIT, async (t) => {
  // One attempt: a timeout is retryable, and retries are tested with the agent policies.
  // Three seconds: long enough for the test to see the agent's processes running (a loaded machine starts them slowly) before they are killed.
  const p = blockingProject(t, 3, { verify: ["true"], retries: { max: 0 } });
  const run = startViable(["run", "Add a greeting function", "--json", "-d", p.dir]);
  const agent = await blockedAgent(p.agentFile);
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assertAllGone(agent);
  const result = json<CycleJson>(r);
  assert.equal(result.success, false);
  const s1 = result.s1_results[0];
  assert.equal(s1?.metadata.status, "timed_out");
  assert.equal(s1?.metadata.attempt_id, agent.marker);
  assert.equal(s1?.output, "timed out after 3s");
  assert.match(s1?.error ?? "", /no result within 3s; the process group was stopped/);
  assert.match(result.summary, /code-writer: no result within 3s/);
  const errors = ofType(await eventsOf(p.dir, result.task_id), "agent_error");
  assert.deepEqual(errors.map((e) => e.data.status), ["timed_out"]);
});

void test("Ctrl-C: exit 130, the attempt cancelled, the task failed as interrupted, no process left", LIMIT, async (t) => {
  const p = blockingProject(t);
  const run = startViable(["run", "Add a greeting function", "-d", p.dir]);
  const agent = await blockedAgent(p.agentFile);
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted by Ctrl-C \(SIGINT\)/);
  assertAllGone(agent);

  const state = await stateOf(p.dir);
  assert.equal(state.current_task?.status, "failed");
  assert.match(state.current_task?.failure_reason ?? "", /interrupted by Ctrl-C/);
  const events = await eventsOf(p.dir, state.current_task?.id);
  const error = ofType(events, "agent_error");
  assert.equal(error.length, 1);
  assert.equal(error[0]?.data.attempt_id, agent.marker);
  assert.equal(error[0]?.data.status, "cancelled");
  assert.equal(ofType(events, "task_failed")[0]?.data.status, "interrupted");
  assert.equal(state.agent_registry.agents["code-writer"]?.status, "idle", "no attempt is left running");
});

void test("kill -9 of Viable mid-cycle: the next command records the task as interrupted and reaps the orphans", LIMIT, async (t) => {
  const p = blockingProject(t);
  const run = startViable(["run", "Add a greeting function", "-d", p.dir]);
  const agent = await blockedAgent(p.agentFile);
  // Readers work beside the writer: this is what was durably logged before the kill.
  const before = await eventsOf(p.dir);
  assert.ok(ofType(before, "agent_invoked").some((e) => e.data.attempt_id === agent.marker));
  assert.equal((await stateOf(p.dir)).current_task?.status, "in_progress");

  run.child.kill("SIGKILL");
  const killed = await run.done;
  assert.equal(killed.signal, "SIGKILL");
  // Viable is gone; its agent is not (own process group), so there are orphans to reap.
  for (const pid of agent.pids) assert.equal(isRunning(pid), true, `orphan ${pid} still runs before reconciliation`);

  const r = await p.viable("state", "--json");
  assert.equal(r.code, 0, r.stderr);
  const state = json<{ current_task: { id: string; status: string; failure_reason: string } }>(r);
  assert.equal(state.current_task.status, "failed");
  assert.match(state.current_task.failure_reason, /interrupted/);
  assert.match(r.stderr, new RegExp(`task ${state.current_task.id} was interrupted`));
  assert.match(r.stderr, /stopped \d+ leftover agent process\(es\)/);
  await waitFor(() => pidsCarrying(agent.marker).length === 0, "the orphans to be gone");
  assertAllGone(agent);

  const after = await eventsOf(p.dir);
  assert.deepEqual(after.slice(0, before.length), before, "every event logged before the kill is still there");
  const tail = after.slice(before.length).map((e) => e.event_type);
  assert.ok(tail.includes("task_interrupted") && tail.includes("task_failed"), tail.join(", "));
  const attemptError = ofType(after, "agent_error").find((e) => e.data.attempt_id === agent.marker);
  assert.equal(attemptError?.data.status, "interrupted");

  const db = new DatabaseSync(projectPaths(p.dir).database, { readOnly: true });
  try {
    assert.deepEqual(db.prepare("PRAGMA integrity_check").all().map((row) => ({ ...row })), [{ integrity_check: "ok" }]);
  } finally {
    db.close();
  }
  // The project is usable again: the stale writer lock of the killed process is taken over.
  p.agent("code-writer", "echo recovered");
  assert.equal((await p.viable("run", "Add a greeting function")).code, 0);
});

void test("kill -9 of Viable while the S3* audit runs: the next command reaps the verify command's processes too", LIMIT, async (t) => {
  const p = e2eProject();
  const file = p.sig("verify");
  p.config({ verify: [blockingAgent(file)], defaults: { runtime: "command", kill_grace_ms: 200, verify_timeout: 30 } });
  p.agent("code-writer", "echo done");
  p.commitAll("agents");
  t.after(() => {
    if (fs.existsSync(file)) for (const pid of pidsCarrying(markerIn(file))) process.kill(pid, "SIGKILL");
    p.cleanup();
  });
  const run = startViable(["run", "Add a greeting function", "-d", p.dir]);
  const check = await blockedAgent(file);
  const taskId = (await stateOf(p.dir)).current_task?.id;
  assert.equal(check.marker, `${taskId}-verify`);
  run.child.kill("SIGKILL");
  await run.done;
  assert.ok(check.pids.every(isRunning), "the check outlived Viable");

  const r = await p.viable("state");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopped \d+ leftover agent process\(es\)/);
  assertAllGone(check);
  const reaped = ofType(await eventsOf(p.dir), "orphans_reaped")[0]?.data.processes as { pid: number }[];
  assert.deepEqual(check.pids.filter((pid) => reaped.some((x) => x.pid === pid)).sort(), [...check.pids].sort());
  assert.equal((await stateOf(p.dir)).current_task?.status, "failed");
});

void test("a second viable run while one is running is refused with the holder's pid, exit 2", LIMIT, async (t) => {
  const p = blockingProject(t);
  const first = startViable(["run", "Add a greeting function", "-d", p.dir]);
  const agent = await blockedAgent(p.agentFile);

  const second = await p.viable("run", "Add a farewell function");
  assert.equal(second.code, 2);
  assert.match(second.stderr, new RegExp(`another Viable process \\(pid ${first.child.pid}, \`viable run\``));
  assert.match(second.stderr, /fix: wait for it to finish, or stop it/);
  // The refused run recorded nothing, and the first one still owns its agent.
  assert.equal((await stateOf(p.dir)).tasks.in_progress, 1);
  assert.equal((await stateOf(p.dir)).current_task?.description, "Add a greeting function");
  assert.ok(agent.pids.every(isRunning));

  first.child.kill("SIGTERM");
  assert.equal((await first.done).code, 130);
  assertAllGone(agent);
});

void test("kill switch: viable stop ends the running attempt and refuses new runs until viable resume", LIMIT, async (t) => {
  const p = blockingProject(t);
  const run = startViable(["run", "Add a greeting function", "-d", p.dir]);
  const agent = await blockedAgent(p.agentFile);

  const stop = await p.viable("stop", "--reason", "test says stop");
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /kill switch engaged: 1 running attempt\(s\) ended/);
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stopped by the kill switch/);
  assertAllGone(agent);

  const state = await stateOf(p.dir);
  assert.equal(state.current_task?.status, "failed");
  assert.match(state.current_task?.failure_reason ?? "", /kill switch/);
  assert.equal(state.kill_switch?.engaged, true);
  assert.equal(state.kill_switch?.reason, "test says stop");
  const events = await eventsOf(p.dir);
  assert.equal(ofType(events, "agent_error").find((e) => e.data.attempt_id === agent.marker)?.data.status, "cancelled");
  assert.deepEqual(ofType(events, "kill_switch").map((e) => e.data.engaged), [true]);

  p.agent("code-writer", "echo after resume");
  const refused = await p.viable("run", "Add a greeting function");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /kill switch is engaged .*test says stop/);
  assert.match(refused.stderr, /`viable resume`/);
  assert.equal((await stateOf(p.dir)).tasks.failed, 1, "the refused run recorded no task");

  const resume = await p.viable("resume");
  assert.equal(resume.code, 0);
  assert.match(resume.stdout, /kill switch released/);
  const again = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(again.code, 0, again.stderr);
  assert.equal(json<CycleJson>(again).s1_results[0]?.output, "after resume");
  assert.equal((await stateOf(p.dir)).kill_switch, null);
});

void test("kill -9 of Viable whose parent never reaps it (a zombie holding the lock, as in a container without an init): the next read-only command still reconciles and reaps", LIMIT, async (t) => {
  const p = blockingProject(t);
  // A parent that never waits for its children: viable is started in the background by a shell
  // that then becomes `sleep`, so once killed, viable stays in /proc as a zombie.
  const pidFile = p.sig("viable.pid");
  const parent = spawn("sh", ["-c", `'${process.execPath}' '${VIABLE_BIN}' run 'Add a greeting function' -d '${p.dir}' > /dev/null 2>&1 & echo $! > '${pidFile}'; exec sleep 1000`], { env: testEnv(), stdio: "ignore" });
  t.after(() => parent.kill("SIGKILL"));
  const agent = await blockedAgent(p.agentFile);
  const viablePid = Number(await waitFor(() => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").trim() || undefined : undefined), "viable's pid"));
  process.kill(viablePid, "SIGKILL");
  await waitFor(() => processState(viablePid) === "Z", "viable to be a zombie");
  assert.equal((JSON.parse(fs.readFileSync(projectPaths(p.dir).lockFile, "utf8")) as { pid: number }).pid, viablePid, "the zombie still names itself in the lock");

  const r = await p.viable("state", "--json");
  assert.equal(r.code, 0, r.stderr);
  const state = json<{ current_task: { status: string; failure_reason: string } }>(r);
  assert.equal(state.current_task.status, "failed");
  assert.match(state.current_task.failure_reason, /interrupted/);
  await waitFor(() => pidsCarrying(agent.marker).length === 0, "the orphans to be gone");
  assertAllGone(agent);
  assert.equal(processState(viablePid), "Z", "it was reconciled while the holder was still a zombie");
});

/** The state letter of /proc/<pid>/stat (R, S, Z, ...), or null when the process is gone. */
function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}
