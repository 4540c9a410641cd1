import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { AgentEvent, AttemptOutcome } from "../../src/domain/outcome.ts";
import type { RunRequest } from "../../src/domain/runtime.ts";
import { LoopCommandRuntime, plainCommand } from "../../src/engine/loop/loop-command-runtime.ts";
import { HelperPool, InProcessSpawner } from "../../src/engine/loop/spawner.ts";
import { isRunning, pidsCarrying, waitFor } from "../support/e2e.ts";

function request(dir: string, command: string, patch: Partial<RunRequest> = {}): RunRequest {
  return {
    attemptId: `loop-test-${crypto.randomUUID().slice(0, 8)}`, prompt: "the prompt", cwd: dir, command, env: { VIABLE_ITEM_ID: "x" },
    signal: new AbortController().signal, limits: { timeoutMs: 10_000, maxOutputBytes: 1 << 20, killGraceMs: 200 },
    transcriptPath: path.join(dir, "transcript.log"), ...patch,
  };
}

async function run(runtime: LoopCommandRuntime, req: RunRequest): Promise<{ outcome: AttemptOutcome; events: AgentEvent[] }> {
  const events: AgentEvent[] = [];
  for await (const e of runtime.run(req)) events.push(e);
  const last = events.at(-1);
  assert.equal(last?.type, "finished");
  return { outcome: (last).outcome, events };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-loop-rt-")));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

void test("plain commands run without a shell; anything with shell syntax or a shell word goes through sh -c", () => {
  assert.deepEqual(plainCommand("true"), ["true"]);
  assert.deepEqual(plainCommand("sleep 0.01"), ["sleep", "0.01"]);
  assert.deepEqual(plainCommand("./scripts/agent.sh --model=x"), ["./scripts/agent.sh", "--model=x"]);
  for (const c of ["exit 0", "cd x", "echo $HOME", "a && b", "a | b", "echo 'x'", "x > y", "FOO=1 cmd", "ls *.ts", "a; b", "echo ~", "", "export X=1"]) {
    assert.equal(plainCommand(c), null, c);
  }
});

void test("the helper pool starts a second helper only while the first is busy starting a process, and no more than its limit", async (t) => {
  const dir = tempDir(t);
  const pool = new HelperPool(2);
  t.after(() => pool.close());
  const spec = (n: number) => ({ file: "/bin/sh", args: ["-c", `echo ${n}`], cwd: dir, baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, env: {}, stdin: "" });
  const outputs: string[] = [];
  // One at a time: one helper is enough.
  for (let n = 0; n < 3; n++) {
    const child = await pool.spawn(spec(n), (_, text) => outputs.push(text.trim()));
    await child.closed;
  }
  assert.equal(pool.size, 1);
  // Several in the same turn: the first helper is busy with the first, so a second one starts; never a third.
  const children = await Promise.all([3, 4, 5, 6].map((n) => pool.spawn(spec(n), (_, text) => outputs.push(text.trim()))));
  assert.equal(pool.size, 2);
  for (const c of children) assert.deepEqual(await c.exited, { code: 0, signal: null });
  await Promise.all(children.map((c) => c.closed));
  assert.deepEqual(outputs.sort(), ["0", "1", "2", "3", "4", "5", "6"]);
});

for (const [where, spawner] of [["from the helper processes", undefined], ["in process (the fallback)", new InProcessSpawner()]] as const) {
  void test(`${where}: the prompt arrives on stdin and in the environment; output goes to a capped transcript; the last line is the summary`, async (t) => {
    const dir = tempDir(t);
    const runtime = new LoopCommandRuntime(spawner ? { spawner } : {});
    t.after(() => runtime.close());
    await promptAndTranscript(dir, runtime);
  });
}

async function promptAndTranscript(dir: string, runtime: LoopCommandRuntime): Promise<void> {
  const { outcome, events } = await run(runtime, request(dir, `cat; echo; echo "item $VIABLE_ITEM_ID"; head -c 5000 /dev/zero | tr '\\0' x; echo; echo last line`, {
    limits: { timeoutMs: 10_000, maxOutputBytes: 1000, killGraceMs: 200 },
  }));
  assert.equal(outcome.status, "succeeded");
  assert.equal(outcome.summary, "last line");
  assert.equal(outcome.outputTruncated, true);
  assert.equal(events[0]?.type, "started");
  const transcript = fs.readFileSync(path.join(dir, "transcript.log"), "utf8");
  assert.equal(transcript.length, 1000);
  assert.ok(transcript.startsWith("the prompt\nitem x\n"), transcript.slice(0, 40));
}

void test("a quiet agent leaves no transcript file; a failing one reports its exit status and stderr", async (t) => {
  const dir = tempDir(t);
  const runtime = new LoopCommandRuntime();
  assert.equal((await run(runtime, request(dir, "true"))).outcome.status, "succeeded");
  assert.equal(fs.existsSync(path.join(dir, "transcript.log")), false);
  const failed = (await run(runtime, request(dir, "echo out; echo 'it broke' >&2; exit 4"))).outcome;
  assert.equal(failed.status, "failed");
  assert.equal(failed.exitCode, 4);
  assert.equal(failed.error, "exited 4: it broke");
  const missing = (await run(runtime, request(dir, "no-such-program-anywhere"))).outcome;
  assert.equal(missing.status, "failed");
  assert.match(missing.error ?? "", /could not start: .*ENOENT/);
});

void test("a background job left in the agent's group is stopped when the agent exits; a setsid escapee is found by the sweep", async (t) => {
  const dir = tempDir(t);
  const runtime = new LoopCommandRuntime();
  const req = request(dir, `sleep 300 & echo $! > '${dir}/bg'; setsid sleep 300 & echo $! > '${dir}/escaped'; exit 0`);
  t.after(() => {
    for (const pid of pidsCarrying(req.attemptId)) process.kill(pid, "SIGKILL");
  });
  const { outcome } = await run(runtime, req);
  assert.equal(outcome.status, "succeeded");
  const bg = Number(fs.readFileSync(path.join(dir, "bg"), "utf8"));
  const escaped = Number(fs.readFileSync(path.join(dir, "escaped"), "utf8"));
  await waitFor(() => !isRunning(bg), "the background job to be stopped");
  assert.ok(isRunning(escaped), "the escapee left the group; only the sweep finds it");
  assert.equal(runtime.unswept, 1);
  const swept = await runtime.sweep(200);
  assert.deepEqual(swept.map((p) => p.pid), [escaped]);
  assert.equal(isRunning(escaped), false);
  assert.deepEqual(pidsCarrying(req.attemptId), []);
  assert.equal(runtime.unswept, 0);
});

void test("the wall-clock limit and cancellation stop the whole group, escapees included", async (t) => {
  const dir = tempDir(t);
  const runtime = new LoopCommandRuntime();
  const timed = request(dir, "setsid sleep 300 & sleep 300", { limits: { timeoutMs: 300, maxOutputBytes: 1000, killGraceMs: 100 } });
  const timedOut = (await run(runtime, timed)).outcome;
  assert.equal(timedOut.status, "timed_out");
  assert.match(timedOut.summary, /no result within 0\.3s/);
  assert.deepEqual(pidsCarrying(timed.attemptId), []);

  const controller = new AbortController();
  const cancelled = request(dir, `echo started > '${dir}/started'; sleep 300`, { signal: controller.signal });
  const running = run(runtime, cancelled);
  await waitFor(() => fs.existsSync(path.join(dir, "started")), "the agent to start");
  controller.abort("stop now");
  const outcome = (await running).outcome;
  assert.equal(outcome.status, "cancelled");
  assert.equal(outcome.error, "stop now");
  assert.deepEqual(pidsCarrying(cancelled.attemptId), []);
});
