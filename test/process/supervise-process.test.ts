import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { superviseProcess } from "../../src/process/supervise-process.ts";
import { hermeticEnv, readUntil, runToEnd, statFields, testSpec, uniqueMarker } from "./helpers.ts";

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "viable-process-"));
}

void test("reports the exit code, and which stream each line came from", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("exit"), "echo out; echo err >&2; exit 3"));
  const { lines, exit } = await runToEnd(proc);
  assert.deepEqual(
    lines.filter((l) => l.stream === "stdout"),
    [{ stream: "stdout", text: "out", truncated: false }],
  );
  assert.deepEqual(
    lines.filter((l) => l.stream === "stderr"),
    [{ stream: "stderr", text: "err", truncated: false }],
  );
  assert.equal(exit.exitCode, 3);
  assert.equal(exit.signal, null);
  assert.equal(exit.termination, "exited");
  assert.equal(exit.forced, false);
  assert.equal(exit.error, undefined);
  assert.equal(exit.outputBytes, "out\nerr\n".length);
});

void test("reports the signal that ended a process", async () => {
  const { exit } = await runToEnd(superviseProcess(testSpec(uniqueMarker("signal"), "kill -TERM $$")));
  assert.equal(exit.exitCode, null);
  assert.equal(exit.signal, "SIGTERM");
  assert.equal(exit.termination, "exited");
});

void test("a last line without a newline is delivered", async () => {
  const { lines } = await runToEnd(superviseProcess(testSpec(uniqueMarker("partial"), "printf 'no newline'")));
  assert.deepEqual(lines.map((l) => l.text), ["no newline"]);
});

void test("a missing command is a spawn failure naming it, not an exception", async () => {
  const proc = superviseProcess({ ...testSpec(uniqueMarker("enoent"), ""), file: "viable-no-such-command", args: [] });
  const { lines, exit } = await runToEnd(proc);
  assert.equal(proc.pid, undefined);
  assert.deepEqual(lines, []);
  assert.equal(exit.termination, "spawn_failed");
  assert.equal(exit.error, "cannot run viable-no-such-command: command not found on PATH (is it installed?)");
});

void test("a file without the executable bit is a spawn failure saying so", async () => {
  const dir = await tempDir();
  const script = path.join(dir, "agent.sh");
  await fs.writeFile(script, "#!/bin/sh\necho hi\n", { mode: 0o644 });
  const { exit } = await runToEnd(superviseProcess({ ...testSpec(uniqueMarker("eacces"), ""), file: script, args: [] }));
  assert.equal(exit.termination, "spawn_failed");
  assert.equal(exit.error, `cannot run ${script}: permission denied (is it executable?)`);
});

void test("a missing working directory is a spawn failure naming the directory", async () => {
  const cwd = path.join(await tempDir(), "removed-worktree");
  const { exit } = await runToEnd(superviseProcess(testSpec(uniqueMarker("cwd"), "pwd", { cwd })));
  assert.equal(exit.termination, "spawn_failed");
  assert.equal(exit.error, `cannot run sh: the working directory ${cwd} does not exist`);
});

void test("runs in the given directory with exactly the given environment plus the attempt marker", async () => {
  const cwd = await fs.realpath(await tempDir());
  const marker = uniqueMarker("env");
  const spec = testSpec(marker, 'pwd; echo "FOO=$FOO"; echo "HOME=${HOME-unset}"; echo "MARK=$VIABLE_ATTEMPT_ID"', {
    cwd,
    env: { ...hermeticEnv(), FOO: "bar", DROPPED: undefined },
  });
  const { lines } = await runToEnd(superviseProcess(spec));
  assert.deepEqual(lines.map((l) => l.text), [cwd, "FOO=bar", "HOME=unset", `MARK=${marker}`]);
});

void test("onSpawn gets the pid at once, and the process leads its own session and group", async () => {
  let spawned: number | undefined;
  const proc = superviseProcess(testSpec(uniqueMarker("onspawn"), "read _ || exit 0", { stdin: "pipe", onSpawn: (pid) => (spawned = pid) }));
  assert.ok(proc.pid);
  assert.equal(spawned, proc.pid);
  const [, , pgid, session] = statFields(proc.pid);
  assert.equal(pgid, String(proc.pid));
  assert.equal(session, String(proc.pid));
  proc.closeStdin();
  assert.equal((await runToEnd(proc)).exit.exitCode, 0);
});

void test("a string for stdin is written and then closed", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("stdin"), "cat", { stdin: { text: "first\nsecond\n" } }));
  const { lines, exit } = await runToEnd(proc);
  assert.deepEqual(lines.map((l) => l.text), ["first", "second"]);
  assert.equal(exit.exitCode, 0);
});

void test("a piped stdin carries several turns until it is closed", async () => {
  const proc = superviseProcess(testSpec(uniqueMarker("turns"), 'while read l; do echo "got $l"; done', { stdin: "pipe" }));
  const lines = proc.lines[Symbol.asyncIterator]();
  await proc.write("one\n");
  assert.deepEqual(await readUntil(lines, (t) => t.startsWith("got")), ["got one"]);
  await proc.write("two\n");
  assert.deepEqual(await readUntil(lines, (t) => t.startsWith("got")), ["got two"]);
  proc.closeStdin();
  assert.equal((await proc.exited).exitCode, 0);
  await assert.rejects(proc.write("three\n"), /stdin of sh is closed/);
});

void test("secrets are masked in the lines and in the transcript", async () => {
  const transcriptPath = path.join(await tempDir(), "transcripts", "attempt.log");
  const secret = "sk-ant-0123456789";
  const spec = testSpec(uniqueMarker("redact"), 'echo "key=$KEY"; echo "$KEY was used" >&2', {
    env: { ...hermeticEnv(), KEY: secret },
    redact: [secret],
    transcriptPath,
  });
  const { lines } = await runToEnd(superviseProcess(spec));
  assert.deepEqual(lines.map((l) => l.text).sort(), ["*** was used", "key=***"]);
  const transcript = await fs.readFile(transcriptPath, "utf8");
  assert.equal(transcript.includes(secret), false);
  assert.deepEqual(transcript.split("\n").sort(), ["", "*** was used", "key=***"]);
});

void test("10 MB of output: the transcript stops at the cap, every line still reaches the reader", async () => {
  const transcriptPath = path.join(await tempDir(), "attempt.log");
  const maxOutputBytes = 64 * 1024;
  // 100 000 JSONL-sized lines, then 3 MB without a newline, then one more line.
  const script = [
    `yes "$(printf '%0100d' 0)" | head -n 100000`,
    `head -c 3000000 /dev/zero | tr '\\0' a`,
    `echo`,
    `echo after`,
  ].join("; ");
  const proc = superviseProcess(testSpec(uniqueMarker("cap"), script, { maxOutputBytes, transcriptPath }));
  let count = 0;
  let longLine: { length: number; truncated: boolean } | undefined;
  let last = "";
  for await (const line of proc.lines) {
    count++;
    if (line.text.startsWith("aaa")) longLine = { length: line.text.length, truncated: line.truncated };
    last = line.text;
  }
  const exit = await proc.exited;
  assert.equal(count, 100_000 + 2);
  assert.deepEqual(longLine, { length: 1024 * 1024, truncated: true });
  assert.equal(last, "after");
  assert.equal(exit.outputTruncated, true);
  assert.equal(exit.outputBytes, 100_000 * 101 + 3_000_000 + 1 + "after\n".length);
  const transcript = await fs.readFile(transcriptPath, "utf8");
  assert.equal(Buffer.byteLength(transcript), maxOutputBytes);
  assert.match(transcript, /^0{100}\n0{100}\n/);
});

void test("output under the caps is not reported as truncated", async () => {
  const transcriptPath = path.join(await tempDir(), "attempt.log");
  const { exit } = await runToEnd(superviseProcess(testSpec(uniqueMarker("small"), "echo hello", { transcriptPath })));
  assert.equal(exit.outputTruncated, false);
  assert.equal(await fs.readFile(transcriptPath, "utf8"), "hello\n");
});
