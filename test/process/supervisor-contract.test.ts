// What every caller of the supervisor relies on, checked against every supervision strategy: forked
// here or by a helper process, leftovers scanned at each exit or swept later, output as lines or as
// chunks. Processes are scripted and driven through stdin, signals and the lines they print; nothing
// is slept for.

import { after, afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { isProcessAlive } from "../../src/process/process-tree.ts";
import { HelperPool, IN_PROCESS_SPAWNER, type Spawner } from "../../src/process/spawner.ts";
import { waitFor } from "../support/e2e.ts";
import { hermeticEnv, isSettled, pidsCarrying, readCount, readUntil, statFields, testSpec, uniqueMarker } from "./helpers.ts";
import { STRATEGIES, StrategyContext } from "./strategies.ts";

// Reports each signal it gets and carries on: only SIGKILL can stop it. The foreground `sleep` is in
// the same process group, so each group signal ends the current sleep and the shell runs its trap.
const STUBBORN = `trap 'echo got INT' INT; trap 'echo got TERM' TERM; echo ready; while :; do sleep 1; done`;

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "viable-process-"));
}

/** The pid announced on a line "<label> <pid>". */
function pidOf(lines: string[], label: string): number {
  const line = lines.find((l) => l.startsWith(`${label} `));
  assert.ok(line, `no "${label}" line in ${JSON.stringify(lines)}`);
  return Number(line.slice(label.length + 1));
}

/** A spawner in front of another that counts the pauses and resumes asked of its processes. */
function watched(inner: Spawner): Spawner & { pauses: number; resumes: number } {
  const watch = {
    pauses: 0,
    resumes: 0,
    spawn: async (...args: Parameters<Spawner["spawn"]>) => {
      const spawned = await inner.spawn(...args);
      return {
        ...spawned,
        pause: () => {
          watch.pauses++;
          spawned.pause();
        },
        resume: () => {
          watch.resumes++;
          spawned.resume();
        },
      };
    },
    close: () => {},
  };
  return watch;
}

const pool = new HelperPool(2);
after(() => pool.close());

for (const strategy of STRATEGIES) {
  void describe(strategy.name, () => {
    let ctx: StrategyContext;
    beforeEach(() => {
      ctx = new StrategyContext(strategy, pool);
    });
    afterEach(async () => {
      await ctx.close();
    });
    const sweeps = strategy.leftovers === "sweeper";

    // --- Starting, exit status, environment, stdin ---

    void test("reports the exit code, and which stream each line came from", async () => {
      const { lines, exit } = await ctx.start(testSpec(uniqueMarker("exit"), "echo out; echo err >&2; exit 3")).toEnd();
      assert.deepEqual(lines.filter((l) => l.stream === "stdout"), [{ stream: "stdout", text: "out", truncated: false }]);
      assert.deepEqual(lines.filter((l) => l.stream === "stderr"), [{ stream: "stderr", text: "err", truncated: false }]);
      assert.equal(exit.exitCode, 3);
      assert.equal(exit.signal, null);
      assert.equal(exit.termination, "exited");
      assert.equal(exit.forced, false);
      assert.equal(exit.error, undefined);
      assert.equal(exit.outputBytes, "out\nerr\n".length);
    });

    void test("reports the signal that ended a process", async () => {
      const { exit } = await ctx.start(testSpec(uniqueMarker("signal"), "kill -TERM $$")).toEnd();
      assert.equal(exit.exitCode, null);
      assert.equal(exit.signal, "SIGTERM");
      assert.equal(exit.termination, "exited");
    });

    void test("a last line without a newline is delivered", async () => {
      const { lines } = await ctx.start(testSpec(uniqueMarker("partial"), "printf 'no newline'")).toEnd();
      assert.deepEqual(lines.map((l) => l.text), ["no newline"]);
    });

    void test("a missing command is a spawn failure naming it, not an exception", async () => {
      const run = ctx.start({ ...testSpec(uniqueMarker("enoent"), ""), file: "viable-no-such-command", args: [] });
      const { lines, exit } = await run.toEnd();
      assert.equal(await run.proc.started, undefined);
      assert.equal(run.proc.pid, undefined);
      assert.deepEqual(lines, []);
      assert.equal(exit.termination, "spawn_failed");
      assert.equal(exit.spawnFailure, "not_found");
      assert.equal(exit.error, "cannot run viable-no-such-command: command not found on PATH (is it installed?)");
    });

    void test("a file without the executable bit is a spawn failure saying so", async () => {
      const script = path.join(await tempDir(), "agent.sh");
      await fs.writeFile(script, "#!/bin/sh\necho hi\n", { mode: 0o644 });
      const { exit } = await ctx.start({ ...testSpec(uniqueMarker("eacces"), ""), file: script, args: [] }).toEnd();
      assert.equal(exit.termination, "spawn_failed");
      assert.equal(exit.spawnFailure, "not_executable");
      assert.equal(exit.error, `cannot run ${script}: permission denied (is it executable?)`);
    });

    void test("a missing working directory is a spawn failure naming the directory", async () => {
      const cwd = path.join(await tempDir(), "removed-worktree");
      const { exit } = await ctx.start(testSpec(uniqueMarker("cwd"), "pwd", { cwd })).toEnd();
      assert.equal(exit.termination, "spawn_failed");
      assert.equal(exit.spawnFailure, "no_directory");
      assert.equal(exit.error, `cannot run sh: the working directory ${cwd} does not exist`);
    });

    void test("runs in the given directory with exactly the given environment plus the attempt marker", async () => {
      const cwd = await fs.realpath(await tempDir());
      const marker = uniqueMarker("env");
      const spec = testSpec(marker, 'pwd; echo "FOO=$FOO"; echo "SHARED=$SHARED"; echo "HOME=${HOME-unset}"; echo "MARK=$VIABLE_ATTEMPT_ID"', {
        cwd,
        sharedEnv: { SHARED: "from the shared part", FOO: "overridden" },
        env: { ...hermeticEnv(), FOO: "bar", DROPPED: undefined },
      });
      const { lines } = await ctx.start(spec).toEnd();
      assert.deepEqual(lines.map((l) => l.text), [cwd, "FOO=bar", "SHARED=from the shared part", "HOME=unset", `MARK=${marker}`]);
    });

    void test("onSpawn gets the pid once it runs, and the process leads its own session and group", async () => {
      let spawned: number | undefined;
      const run = ctx.start(testSpec(uniqueMarker("onspawn"), "read _ || exit 0", { stdin: "pipe", onSpawn: (pid) => (spawned = pid) }));
      const pid = await run.proc.started;
      assert.ok(pid);
      assert.equal(spawned, pid);
      assert.equal(run.proc.pid, pid);
      const [, , pgid, session] = statFields(pid);
      assert.equal(pgid, String(pid));
      assert.equal(session, String(pid));
      run.proc.closeStdin();
      assert.equal((await run.toEnd()).exit.exitCode, 0);
    });

    void test("a string for stdin is written and then closed", async () => {
      const { lines, exit } = await ctx.start(testSpec(uniqueMarker("stdin"), "cat", { stdin: { text: "first\nsecond\n" } })).toEnd();
      assert.deepEqual(lines.map((l) => l.text), ["first", "second"]);
      assert.equal(exit.exitCode, 0);
    });

    void test("a piped stdin carries several turns until it is closed; a write made while starting goes out once it runs", async () => {
      const run = ctx.start(testSpec(uniqueMarker("turns"), 'while read l; do echo "got $l"; done', { stdin: "pipe" }));
      await run.proc.write("one\n");
      assert.deepEqual(await readUntil(run.lines, (t) => t.startsWith("got")), ["got one"]);
      await run.proc.write("two\n");
      assert.deepEqual(await readUntil(run.lines, (t) => t.startsWith("got")), ["got two"]);
      run.proc.closeStdin();
      assert.equal((await run.proc.exited).exitCode, 0);
      await assert.rejects(run.proc.write("three\n"), /stdin of sh is closed/);
    });

    // --- Output: transcript, caps, redaction ---

    void test("secrets are masked in the output and in the transcript", async () => {
      const transcriptPath = path.join(await tempDir(), "transcripts", "attempt.log");
      const secret = "sk-ant-0123456789";
      const spec = testSpec(uniqueMarker("redact"), 'echo "key=$KEY"; echo "$KEY was used" >&2', {
        env: { ...hermeticEnv(), KEY: secret },
        redact: [secret],
        transcriptPath,
      });
      const { lines } = await ctx.start(spec).toEnd();
      assert.deepEqual(lines.map((l) => l.text).sort(), ["*** was used", "key=***"]);
      const transcript = await fs.readFile(transcriptPath, "utf8");
      assert.equal(transcript.includes(secret), false);
      assert.deepEqual(transcript.split("\n").sort(), ["", "*** was used", "key=***"]);
    });

    void test("a secret written in two parts, read as two chunks, is masked whole", async () => {
      const transcriptPath = path.join(await tempDir(), "attempt.log");
      const secret = "sk-ant-0123456789";
      // The first part goes out with "ready"; the rest only once the test has seen "ready", i.e.
      // once the supervisor has read the first part.
      const script = `printf 'ready\\npadding padding key=%s' "\${KEY%????????}"; read go; printf '%s end\\n' "\${KEY#?????????}"`;
      const run = ctx.start(testSpec(uniqueMarker("split"), script, { stdin: "pipe", env: { ...hermeticEnv(), KEY: secret }, redact: [secret], transcriptPath }));
      assert.deepEqual(await readUntil(run.lines, (t) => t === "ready"), ["ready"]);
      await run.proc.write("go\n");
      const { lines, exit } = await run.toEnd();
      assert.equal(exit.exitCode, 0);
      assert.deepEqual(lines.map((l) => l.text), ["padding padding key=*** end"]);
      for (const chunk of run.chunks) assert.doesNotMatch(chunk.text, /sk-ant|23456789/, "no part of the secret is released");
      assert.equal(await fs.readFile(transcriptPath, "utf8"), "ready\npadding padding key=*** end\n");
    });

    if (strategy.output === "lines") {
      void test("10 MB of output: the transcript stops at the cap, every line still reaches the reader", async () => {
        const transcriptPath = path.join(await tempDir(), "attempt.log");
        const maxOutputBytes = 64 * 1024;
        // 100 000 JSONL-sized lines, then 3 MB without a newline, then one more line.
        const script = [`yes "$(printf '%0100d' 0)" | head -n 100000`, `head -c 3000000 /dev/zero | tr '\\0' a`, `echo`, `echo after`].join("; ");
        const run = ctx.start(testSpec(uniqueMarker("cap"), script, { maxOutputBytes, transcriptPath }));
        let count = 0;
        let longLine: { length: number; truncated: boolean } | undefined;
        let last = "";
        for (let next = await run.lines.next(); !next.done; next = await run.lines.next()) {
          count++;
          if (next.value.text.startsWith("aaa")) longLine = { length: next.value.text.length, truncated: next.value.truncated };
          last = next.value.text;
        }
        const exit = await run.proc.exited;
        assert.equal(count, 100_000 + 2);
        assert.deepEqual(longLine, { length: 1024 * 1024, truncated: true });
        assert.equal(last, "after");
        assert.equal(exit.outputTruncated, true);
        assert.equal(exit.outputBytes, 100_000 * 101 + 3_000_000 + 1 + "after\n".length);
        const transcript = await fs.readFile(transcriptPath, "utf8");
        assert.equal(Buffer.byteLength(transcript), maxOutputBytes);
        assert.match(transcript, /^0{100}\n0{100}\n/);
      });

      void test("a reader that falls behind pauses the process until it catches up", async () => {
        const spawner = watched(ctx.case.spawner === "helper" ? pool : IN_PROCESS_SPAWNER);
        // 20 MB of lines: well past the 8 MiB of unread text at which the process is paused.
        const run = ctx.start(testSpec(uniqueMarker("backpressure"), `yes "$(printf '%0100d' 0)" | head -n 200000; echo end`), () => spawner);
        await waitFor(() => spawner.pauses > 0, "the process to be paused");
        assert.equal(await isSettled(run.proc.exited), false);
        const { lines, exit } = await run.toEnd();
        assert.equal(lines.length, 200_001);
        assert.equal(lines.at(-1)?.text, "end");
        assert.ok(spawner.resumes > 0, "resumed once the reader caught up");
        assert.equal(exit.exitCode, 0);
      });
    } else {
      void test("10 MB of output in chunks: the transcript stops at the cap, every byte reaches the callback", async () => {
        const transcriptPath = path.join(await tempDir(), "attempt.log");
        const maxOutputBytes = 64 * 1024;
        const script = [`yes "$(printf '%0100d' 0)" | head -n 100000`, `head -c 3000000 /dev/zero | tr '\\0' a`, `echo after`].join("; ");
        const run = ctx.start(testSpec(uniqueMarker("cap"), script, { maxOutputBytes, transcriptPath }));
        const exit = await run.proc.exited;
        const delivered = run.chunks.reduce((n, c) => n + c.text.length, 0);
        assert.equal(delivered, 100_000 * 101 + 3_000_000 + "after\n".length);
        assert.equal(exit.outputBytes, delivered);
        assert.equal(exit.outputTruncated, true);
        const transcript = await fs.readFile(transcriptPath, "utf8");
        assert.equal(Buffer.byteLength(transcript), maxOutputBytes);
        assert.match(transcript, /^0{100}\n0{100}\n/);
      });
    }

    void test("output under the caps is not reported as truncated", async () => {
      const transcriptPath = path.join(await tempDir(), "attempt.log");
      const { exit } = await ctx.start(testSpec(uniqueMarker("small"), "echo hello", { transcriptPath })).toEnd();
      assert.equal(exit.outputTruncated, false);
      assert.equal(await fs.readFile(transcriptPath, "utf8"), "hello\n");
    });

    void test("a process that prints nothing leaves no transcript file", async () => {
      const transcriptPath = path.join(await tempDir(), "attempt.log");
      const { exit } = await ctx.start(testSpec(uniqueMarker("quiet"), "exit 0", { transcriptPath })).toEnd();
      assert.equal(exit.exitCode, 0);
      assert.equal(existsSync(transcriptPath), false);
    });

    // --- Stopping it: limits, cancellation, escalation ---

    void test("a wall-clock timeout escalates SIGINT, SIGTERM, SIGKILL and reports it was forced", async () => {
      // Long enough for the shell to set its traps on a loaded machine before the first signal.
      const { lines, exit } = await ctx.start(testSpec(uniqueMarker("timeout"), STUBBORN, { timeoutMs: 1000, killGraceMs: 500 })).toEnd();
      // stderr has the shell's own "Terminated" notices for its sleeps.
      assert.deepEqual(lines.filter((l) => l.stream === "stdout").map((l) => l.text), ["ready", "got INT", "got TERM"]);
      assert.equal(exit.termination, "timed_out");
      assert.equal(exit.forced, true);
      assert.equal(exit.signal, "SIGKILL");
      assert.equal(exit.error, "timed out after 1000 ms");
      assert.ok(exit.durationMs >= 1000 + 2 * 500, `stopped after ${exit.durationMs} ms, before the escalation could finish`);
    });

    void test("a process that ignores SIGINT and SIGTERM outright is killed", async () => {
      // The first signal after the shell has set its traps (a loaded machine starts it slowly), or it dies of SIGINT.
      const { exit } = await ctx.start(testSpec(uniqueMarker("ignore"), "trap '' INT TERM; exec sleep 1000", { timeoutMs: 1000, killGraceMs: 50 })).toEnd();
      assert.equal(exit.termination, "timed_out");
      assert.equal(exit.forced, true);
      assert.equal(exit.signal, "SIGKILL");
    });

    void test("a process that stops on SIGINT is not reported as forced", async () => {
      const { exit } = await ctx.start(testSpec(uniqueMarker("polite"), "echo ready; exec sleep 1000", { timeoutMs: 100, killGraceMs: 1000 })).toEnd();
      assert.equal(exit.termination, "timed_out");
      assert.equal(exit.forced, false);
      assert.equal(exit.signal, "SIGINT");
    });

    void test("output resets the idle timer; silence past it stops the process", async () => {
      // Far above one write-and-echo round trip, even on a loaded machine.
      const idleTimeoutMs = 1000;
      const run = ctx.start(testSpec(uniqueMarker("idle"), 'while read l; do echo "$l"; done', { stdin: "pipe", idleTimeoutMs }));
      const start = performance.now();
      for (let i = 0; performance.now() - start < 2 * idleTimeoutMs; i++) {
        await run.proc.write(`turn ${i}\n`);
        await readUntil(run.lines, (t) => t === `turn ${i}`);
      }
      assert.equal(await isSettled(run.proc.exited), false, "stopped although it kept printing");
      const exit = await run.proc.exited;
      assert.equal(exit.termination, "idle_timeout");
      assert.equal(exit.error, `no output for ${idleTimeoutMs} ms`);
    });

    void test("aborting the signal cancels the process", async () => {
      const controller = new AbortController();
      const run = ctx.start(testSpec(uniqueMarker("abort"), "echo ready; exec sleep 1000", { signal: controller.signal }));
      await readUntil(run.lines, (t) => t === "ready");
      controller.abort(new Error("the user pressed Ctrl-C"));
      const exit = await run.proc.exited;
      assert.equal(exit.termination, "cancelled");
      assert.equal(exit.signal, "SIGINT");
      assert.equal(exit.error, "cancelled: the user pressed Ctrl-C");
    });

    void test("an already aborted signal starts nothing", async () => {
      let spawned = false;
      const run = ctx.start(testSpec(uniqueMarker("pre-abort"), "echo hi", { signal: AbortSignal.abort(), onSpawn: () => (spawned = true) }));
      const { lines, exit } = await run.toEnd();
      assert.equal(run.proc.pid, undefined);
      assert.equal(await run.proc.started, undefined);
      assert.equal(spawned, false);
      assert.deepEqual(lines, []);
      assert.equal(exit.termination, "cancelled");
    });

    void test("terminate() cancels with the caller's reason", async () => {
      const run = ctx.start(testSpec(uniqueMarker("terminate"), "echo ready; exec sleep 1000"));
      await readUntil(run.lines, (t) => t === "ready");
      run.proc.terminate("superseded by a newer attempt");
      const exit = await run.proc.exited;
      assert.equal(exit.termination, "cancelled");
      assert.equal(exit.error, "superseded by a newer attempt");
    });

    void test("terminate() before the pid is known stops the process once it runs", async () => {
      const marker = uniqueMarker("early-terminate");
      const run = ctx.start(testSpec(marker, "exec sleep 1000"));
      run.proc.terminate("changed my mind");
      const exit = await run.proc.exited;
      assert.ok(exit.signal === "SIGINT" || exit.signal === "SIGTERM" || exit.signal === "SIGKILL", `ended by ${exit.signal}`);
      assert.equal(exit.termination, "cancelled");
      assert.equal(exit.error, "changed my mind");
      assert.deepEqual(pidsCarrying(marker), []);
    });

    void test("the first reason to stop wins", async () => {
      const controller = new AbortController();
      const run = ctx.start(testSpec(uniqueMarker("first"), STUBBORN, { killGraceMs: 500, signal: controller.signal }));
      await readUntil(run.lines, (t) => t === "ready");
      controller.abort(new Error("first"));
      // "got INT" proves it is being stopped; a later request must not change why.
      await readUntil(run.lines, (t) => t === "got INT");
      run.proc.terminate("second");
      const exit = await run.proc.exited;
      assert.equal(exit.termination, "cancelled");
      assert.equal(exit.error, "cancelled: first");
    });

    void test("a process that ends in time is reported as exited, whatever the limits", async () => {
      const run = ctx.start(testSpec(uniqueMarker("in-time"), "echo done", { timeoutMs: 60_000, idleTimeoutMs: 60_000, signal: new AbortController().signal }));
      const { exit } = await run.toEnd();
      assert.equal(exit.termination, "exited");
      assert.equal(exit.exitCode, 0);
    });

    // --- Leftovers: nothing it started outlives it ---

    void test("when it exits normally, its background job, a setsid'd tool and that tool's scrubbed child are stopped", async () => {
      const marker = uniqueMarker("leftovers");
      // Each process announces its own pid once it is what it claims to be (exec'd, in its session).
      // `bg` stays in the group; `session` is what Claude Code's Bash tool does (a new session);
      // `scrubbed` is started by that tool with an emptied environment, so only its parent leads to it.
      // With a sweeper, `bg` left in the group makes the exit probe find something: the full scan runs.
      const script = [
        `sleep 1000 & echo "bg $!"`,
        `setsid sh -c 'env -i sh -c "echo scrubbed \\$\\$; exec sleep 1000" & echo "session $$"; exec sleep 1000' &`,
        `read go; exit 0`,
      ].join("\n");
      const run = ctx.start(testSpec(marker, script, { stdin: "pipe" }));
      const seen = await readCount(run.lines, 3);
      const [bg, session, scrubbed] = [pidOf(seen, "bg"), pidOf(seen, "session"), pidOf(seen, "scrubbed")];
      assert.equal(statFields(session)[3], String(session), "the tool should lead its own session");
      assert.equal(pidsCarrying(marker).includes(scrubbed), false, "the scrubbed process should not carry the marker");

      run.proc.closeStdin();
      const exit = await run.proc.exited;

      assert.equal(exit.termination, "exited");
      assert.equal(exit.exitCode, 0);
      assert.deepEqual(exit.leftovers.map((p) => p.pid).sort(), [bg, scrubbed, session].sort());
      assert.deepEqual(pidsCarrying(marker), []);
      for (const pid of [bg, session, scrubbed]) assert.equal(isProcessAlive(pid), false, `${pid} survived`);
    });

    void test(sweeps
      ? "a setsid escapee, alone after a normal exit, is left to the sweeper, and does not survive its close()"
      : "a setsid escapee, alone after a normal exit, is stopped before the exit resolves", async () => {
      const marker = uniqueMarker("escapee");
      const run = ctx.start(testSpec(marker, `setsid sh -c 'echo "escaped $$"; exec sleep 1000' &\nread go; exit 0`, { stdin: "pipe" }));
      const escaped = pidOf(await readUntil(run.lines, (t) => t.startsWith("escaped")), "escaped");
      run.proc.closeStdin();
      const exit = await run.proc.exited;
      assert.equal(exit.exitCode, 0);
      if (sweeps) {
        assert.deepEqual(exit.leftovers, []);
        assert.equal(isProcessAlive(escaped), true, "the escapee left the group: only the sweep finds it");
        assert.equal(ctx.sweeper?.unswept, 1);
        const swept = await ctx.sweeper?.close();
        assert.deepEqual(swept?.map((p) => p.pid), [escaped]);
        assert.equal(ctx.sweeper?.unswept, 0);
      } else {
        assert.deepEqual(exit.leftovers.map((p) => p.pid), [escaped]);
      }
      assert.equal(isProcessAlive(escaped), false);
      assert.deepEqual(pidsCarrying(marker), []);
    });

    void test("when it is cancelled, a setsid'd tool with an emptied environment is stopped too", async () => {
      const marker = uniqueMarker("cancel-leftovers");
      // Neither marked nor in the group: only the process tree read before the first signal finds it.
      const run = ctx.start(testSpec(marker, `setsid env -i sh -c 'echo "hidden $$"; exec sleep 1000' & exec sleep 1000`));
      const hidden = pidOf(await readUntil(run.lines, (t) => t.startsWith("hidden")), "hidden");
      assert.equal(statFields(hidden)[3], String(hidden), "the tool should lead its own session");

      run.proc.terminate("stop");
      const exit = await run.proc.exited;

      assert.equal(exit.termination, "cancelled");
      assert.deepEqual(exit.leftovers.map((p) => p.pid), [hidden]);
      assert.equal(isProcessAlive(hidden), false);
      assert.deepEqual(pidsCarrying(marker), []);
    });

    void test("when it is stopped, an env -i setsid grandchild is stopped too", async () => {
      const marker = uniqueMarker("grandchild");
      // The middle shell (in the foreground: a background job would ignore SIGINT) is marked and in
      // the group; its child is neither, and is re-parented to init as soon as the middle shell dies
      // of the first signal, before the exit is handled.
      const script = `sh -c 'setsid env -i sh -c "echo deeper \\$\\$; exec sleep 1000" & exec sleep 1000'; exit 0`;
      const run = ctx.start(testSpec(marker, script, { timeoutMs: 60_000 }));
      const deeper = pidOf(await readUntil(run.lines, (t) => t.startsWith("deeper")), "deeper");
      assert.equal(pidsCarrying(marker).includes(deeper), false, "the grandchild should not carry the marker");

      run.proc.terminate("stop");
      const exit = await run.proc.exited;

      assert.equal(exit.termination, "cancelled");
      assert.ok(exit.leftovers.some((p) => p.pid === deeper), `stopped: ${JSON.stringify(exit.leftovers)}`);
      assert.equal(isProcessAlive(deeper), false);
      assert.deepEqual(pidsCarrying(marker), []);
    });

    void test("a leftover in the group that ignores SIGTERM is killed, and the exit says SIGKILL was needed", async () => {
      const marker = uniqueMarker("stubborn-in-group");
      const script = `sh -c "trap '' TERM; echo \\"stubborn \\$\\$\\"; exec sleep 1000" &\nread go; exit 0`;
      const run = ctx.start(testSpec(marker, script, { stdin: "pipe", killGraceMs: 50 }));
      const stubborn = pidOf(await readUntil(run.lines, (t) => t.startsWith("stubborn")), "stubborn");
      run.proc.closeStdin();
      const exit = await run.proc.exited;
      assert.equal(exit.termination, "exited");
      assert.equal(exit.forced, true);
      assert.equal(isProcessAlive(stubborn), false);
      assert.deepEqual(pidsCarrying(marker), []);
    });

    void test("a setsid'd leftover that ignores SIGTERM is killed", async () => {
      const marker = uniqueMarker("stubborn-leftover");
      const script = `setsid sh -c "trap '' TERM; echo \\"stubborn \\$\\$\\"; exec sleep 1000" &\nread go; exit 0`;
      const run = ctx.start(testSpec(marker, script, { stdin: "pipe", killGraceMs: 50 }));
      const stubborn = pidOf(await readUntil(run.lines, (t) => t.startsWith("stubborn")), "stubborn");
      run.proc.closeStdin();
      const exit = await run.proc.exited;
      assert.equal(exit.termination, "exited");
      if (sweeps) await ctx.sweeper?.close();
      else assert.equal(exit.forced, true);
      assert.equal(isProcessAlive(stubborn), false);
      assert.deepEqual(pidsCarrying(marker), []);
    });
  });
}
