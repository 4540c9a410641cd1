// The command runtime under both of its strategies: viable run's (forked here, /proc scanned at each
// exit, output as lines) and the plan loop's (helper processes, a leftover sweeper, output as chunks).

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createCommandRuntime, loopCommandStrategy, plainCommand, type CommandRuntime, type CommandStrategy } from "../../src/agents/runtimes/command-runtime.ts";
import type { AgentEvent, AttemptOutcome } from "../../src/domain/outcome.ts";
import type { RunRequest } from "../../src/domain/runtime.ts";
import { LeftoverSweeper } from "../../src/process/leftover-sweeper.ts";
import { HelperPool } from "../../src/process/spawner.ts";
import { isRunning, pidsCarrying, waitFor } from "../support/e2e.ts";

function request(dir: string, command: string, patch: Partial<RunRequest> = {}): RunRequest {
  return {
    attemptId: `command-test-${crypto.randomUUID().slice(0, 8)}`, prompt: "the prompt", cwd: dir, command, env: { VIABLE_ITEM_ID: "x" },
    signal: new AbortController().signal, limits: { timeoutMs: 10_000, maxOutputBytes: 1 << 20, killGraceMs: 200 },
    transcriptPath: path.join(dir, "transcript.log"), ...patch,
  };
}

async function run(runtime: CommandRuntime, req: RunRequest): Promise<{ outcome: AttemptOutcome; events: AgentEvent[] }> {
  const events: AgentEvent[] = [];
  for await (const e of runtime.run(req)) events.push(e);
  const last = events.at(-1);
  assert.equal(last?.type, "finished");
  return { outcome: last.outcome, events };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-command-rt-")));
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

const STRATEGIES: readonly [string, () => CommandStrategy][] = [
  ["viable run's strategy (in process, scan, lines)", () => ({})],
  ["the loop's strategy (helpers, sweeper, chunks)", loopCommandStrategy],
];

for (const [name, strategy] of STRATEGIES) {
  void test(`${name}: the prompt arrives on stdin and in the environment; output goes to a capped transcript; the last line is the summary`, async (t) => {
    const dir = tempDir(t);
    const runtime = createCommandRuntime(strategy());
    t.after(() => runtime.close());
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
  });

  void test(`${name}: secret-looking variables are masked in the transcript and the summary`, async (t) => {
    const dir = tempDir(t);
    const runtime = createCommandRuntime(strategy(), { PATH: process.env.PATH, VIABLE_SERVICE_TOKEN: "from-the-user-env" });
    t.after(() => runtime.close());
    const { outcome } = await run(runtime, request(dir, `echo "$VIABLE_SERVICE_TOKEN and $API_KEY"`, { env: { API_KEY: "given-to-the-attempt" } }));
    assert.equal(outcome.summary, "*** and ***");
    assert.equal(fs.readFileSync(path.join(dir, "transcript.log"), "utf8"), "*** and ***\n");
  });

  void test(`${name}: a quiet agent leaves no transcript file; a failing one reports its exit status and stderr; a missing program is 127`, async (t) => {
    const dir = tempDir(t);
    const runtime = createCommandRuntime(strategy());
    t.after(() => runtime.close());
    assert.equal((await run(runtime, request(dir, "true"))).outcome.status, "succeeded");
    assert.equal(fs.existsSync(path.join(dir, "transcript.log")), false);
    const failed = (await run(runtime, request(dir, "echo out; echo 'it broke' >&2; exit 4"))).outcome;
    assert.equal(failed.status, "failed");
    assert.equal(failed.exitCode, 4);
    assert.equal(failed.error, "exited 4: it broke");
    // Run directly (a plain command) or through sh, a missing program reads the same.
    for (const command of ["no-such-program-anywhere --flag", "no-such-program-anywhere > /dev/null"]) {
      const missing = (await run(runtime, request(dir, command))).outcome;
      assert.equal(missing.status, "failed", command);
      assert.equal(missing.exitCode, 127, command);
      assert.match(missing.error ?? "", /^command not found: .*no-such-program-anywhere/, command);
    }
    const gone = (await run(runtime, request(path.join(dir, "removed"), "true"))).outcome;
    assert.equal(gone.status, "failed");
    assert.match(gone.error ?? "", /^could not start: cannot run true: the working directory .*removed does not exist$/);
  });

  void test(`${name}: a background job left in the agent's group is stopped when the agent exits`, async (t) => {
    const dir = tempDir(t);
    const runtime = createCommandRuntime(strategy());
    const req = request(dir, `sleep 300 & echo $! > '${dir}/bg'; exit 0`);
    t.after(async () => {
      await runtime.close();
      for (const pid of pidsCarrying(req.attemptId)) process.kill(pid, "SIGKILL");
    });
    const { outcome } = await run(runtime, req);
    assert.equal(outcome.status, "succeeded");
    const bg = Number(fs.readFileSync(path.join(dir, "bg"), "utf8"));
    assert.equal(isRunning(bg), false);
    assert.deepEqual(pidsCarrying(req.attemptId), []);
  });

  void test(`${name}: the wall-clock limit and cancellation stop the whole group, escapees included`, async (t) => {
    const dir = tempDir(t);
    const runtime = createCommandRuntime(strategy());
    t.after(() => runtime.close());
    const timed = request(dir, "setsid sleep 300 & sleep 300", { limits: { timeoutMs: 300, maxOutputBytes: 1000, killGraceMs: 100 } });
    const timedOut = (await run(runtime, timed)).outcome;
    assert.equal(timedOut.status, "timed_out");
    assert.equal(timedOut.summary, "timed out after 0.3s");
    assert.match(timedOut.error ?? "", /^no result within 0\.3s; the process group was stopped/);
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
}

void test("the loop's strategy: a setsid escapee outlives its attempt until the sweep, and not the runtime's close()", async (t) => {
  const dir = tempDir(t);
  const sweeper = new LeftoverSweeper({ intervalMs: 60_000 });
  const runtime = createCommandRuntime({ spawner: new HelperPool(1), leftovers: sweeper, output: "chunks" });
  const req = request(dir, `setsid sleep 300 & echo $! > '${dir}/escaped'; exit 0`);
  t.after(() => {
    for (const pid of pidsCarrying(req.attemptId)) process.kill(pid, "SIGKILL");
  });
  const { outcome } = await run(runtime, req);
  assert.equal(outcome.status, "succeeded");
  const escaped = Number(fs.readFileSync(path.join(dir, "escaped"), "utf8"));
  assert.ok(isRunning(escaped), "the escapee left the group; only the sweep finds it");
  assert.equal(sweeper.unswept, 1);
  await runtime.close();
  assert.equal(isRunning(escaped), false);
  assert.deepEqual(pidsCarrying(req.attemptId), []);
  assert.equal(sweeper.unswept, 0);
});
