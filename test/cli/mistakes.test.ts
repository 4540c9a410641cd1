// Mistakes and faults a user can make, each answered with a message naming the path or flag and
// the fix, the right exit status, and nothing lost: a state directory that is a file, a damaged
// database page, output paths that cannot be written, a closed output pipe, empty or contradictory
// input, a typo in the config, and JSON errors for scripts that asked for JSON.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { initialMetrics } from "../../src/domain/viability.ts";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { testEnv, viable, VIABLE_BIN } from "../support/cli.ts";
import { e2eProject } from "../support/e2e.ts";

/** A project with a recorded history of `events` entries (written through the journal). */
async function withHistory(events: number) {
  const p = e2eProject();
  p.agent("generalist-coder", "echo done");
  p.commitAll("agents");
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test" });
  try {
    await store.journal.commit({
      events: Array.from({ length: events }, (_, n) => ({ event_type: "policy_decision" as const, task_id: `t${n % 50}`, data: { n, note: "x".repeat(120) } })),
      changes: [{ type: "metrics_saved", metrics: initialMetrics() }],
    });
  } finally {
    await store.close();
  }
  return p;
}

void test(".viable/state being a file is refused with the path and the fix, exit 2, for writers and readers", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  const stateDir = projectPaths(p.dir).stateDir;
  fs.mkdirSync(path.dirname(stateDir), { recursive: true });
  fs.writeFileSync(stateDir, "not a directory\n");
  for (const command of [["run", "Add a greeting function"], ["state"], ["log"]]) {
    const r = await p.viable(command[0]!, ...command.slice(1));
    assert.equal(r.code, 2, `${command[0]}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`viable: ${stateDir}: is a file, but Viable keeps its state`), r.stderr);
    assert.match(r.stderr, /fix: move the file away/);
    assert.ok(!r.stderr.includes("internal error"), r.stderr);
  }
  assert.equal(fs.readFileSync(stateDir, "utf8"), "not a directory\n", "the file was not touched");
});

void test("a database with damaged pages is named with the fix when a command reads them, exit 2, never a stack trace", async (t) => {
  const p = await withHistory(3000);
  t.after(() => p.cleanup());
  const db = projectPaths(p.dir).database;
  // Past the header and the schema: the pages holding the log.
  const fd = fs.openSync(db, "r+");
  const size = fs.fstatSync(fd).size;
  for (let at = 8192; at < size - 4096; at += 16384) fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, at);
  fs.closeSync(fd);
  const r = await p.viable("log", "--jsonl");
  assert.equal(r.code, 2, r.stderr);
  // Found when the store is opened (its schema pages) or when the log is read (its data pages).
  assert.ok(r.stderr.startsWith(`viable: ${db}: `), r.stderr);
  assert.match(r.stderr, /malformed|damaged/);
  assert.match(r.stderr, /fix: restore the file from a backup, or move it away/);
  assert.ok(!r.stderr.includes("internal error"), r.stderr);
});

void test("output paths: --export-vsm into a file, plan export -o into a missing directory, plan sessions --write into a file", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.write("feature_list.json", JSON.stringify({ features: [{ id: "a", name: "A", description: "one item of the plan" }] }));
  p.commitAll("plan");
  assert.equal((await p.viable("plan", "import", path.join(p.dir, "feature_list.json"))).code, 0);
  const file = path.join(p.dir, "feature_list.json");
  const vsm = await p.viable("state", "--export-vsm", file);
  assert.equal(vsm.code, 2, vsm.stderr);
  assert.ok(vsm.stderr.includes(`viable: ${file} (--export-vsm): is a file (or lies under one), not a directory`), vsm.stderr);
  const missing = path.join(p.dir, "no", "such", "out.json");
  const exported = await p.viable("plan", "export", "-o", missing);
  assert.equal(exported.code, 2, exported.stderr);
  assert.ok(exported.stderr.includes(`viable: ${missing} (-o/--output): its directory ${path.dirname(missing)} does not exist\n  fix: create it first`), exported.stderr);
  const sessions = await p.viable("plan", "sessions", "--write", file);
  assert.equal(sessions.code, 2, sessions.stderr);
  assert.match(sessions.stderr, /\(--write\): is a file/);
  assert.equal((JSON.parse(p.read("feature_list.json")) as { features: unknown[] }).features.length, 1, "nothing was overwritten");

  // What the checks cannot foresee fails at the write itself, still with the path and a fix: a
  // link into a directory that is gone, a source file that became a directory.
  const link = path.join(p.signals, "out.json");
  fs.symlinkSync(path.join(p.signals, "gone", "out.json"), link);
  const dangling = await p.viable("plan", "export", "-o", link);
  assert.equal(dangling.code, 2, dangling.stderr);
  assert.ok(dangling.stderr.startsWith(`viable: ${link} (-o/--output): cannot be written (ENOENT`), dangling.stderr);
  assert.match(dangling.stderr, /fix: create .*gone first/);
  fs.renameSync(file, `${file}.moved`);
  fs.mkdirSync(file);
  const inPlace = await p.viable("plan", "export", "--in-place");
  assert.equal(inPlace.code, 2, inPlace.stderr);
  assert.ok(inPlace.stderr.startsWith(`viable: ${file} (the plan's source file): cannot be read (EISDIR)`), inPlace.stderr);
  assert.ok(!`${dangling.stderr}${inPlace.stderr}`.includes("internal error"));
});

void test("output into a closed pipe (viable log --jsonl | head -1) ends quietly with status 0", async (t) => {
  const p = await withHistory(3000);
  t.after(() => p.cleanup());
  const r = await new Promise<{ status: string; head: string; stderr: string }>((resolve) => {
    const child = spawn("bash", ["-c", `'${process.execPath}' '${VIABLE_BIN}' log --jsonl -d '${p.dir}' 2>err.txt | head -1; echo "viable exit \${PIPESTATUS[0]}" >&2`], { cwd: p.signals, env: testEnv() });
    let head = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (head += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", () => resolve({ status: stderr, head, stderr: fs.readFileSync(path.join(p.signals, "err.txt"), "utf8") }));
  });
  assert.equal(r.head.trim().split("\n").length, 1);
  assert.match(r.status, /viable exit 0/);
  assert.equal(r.stderr, "", "nothing on stderr");
});

void test("empty or contradictory input is refused before anything is recorded; a long task comes from stdin or a file", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("generalist-coder", "echo \"got: $(head -c 40)\"");
  p.commitAll("agents");
  for (const task of ["", "   "]) {
    const r = await p.viable("run", task, "--simple");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /viable: <task>: the task is empty\n {2}fix: say what the agents should do/);
  }
  assert.equal((await p.viable("log", "--json")).stdout.trim(), "[]", "nothing was recorded");
  const taskFile = path.join(p.signals, "task.md");
  fs.writeFileSync(taskFile, "Add a greeting function\n\nIt says hello to whoever calls it.\n");
  const fromFile = await p.viable("run", "--file", taskFile, "--simple", "--json");
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal((JSON.parse(fromFile.stdout) as { summary: string }).summary, "Completed with 1/1 agents successful");
  const fromStdin = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [VIABLE_BIN, "run", "-", "--simple", "-d", p.dir], { env: testEnv(), stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.end("Add a farewell function\n");
    child.on("close", resolve);
  });
  assert.equal(fromStdin, 0);
  const state = JSON.parse((await p.viable("state", "--json")).stdout) as { current_task: { description: string } };
  assert.equal(state.current_task.description, "Add a farewell function");
  const empty = await p.viable("run", "--file", path.join(p.signals, "nope.md"));
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /nope\.md \(--file\): no such file/);

  const both = await p.viable("plan", "export", "--in-place", "-o", path.join(p.signals, "x.json"));
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--in-place, -o: --in-place and -o\/--output name two different files/);
  const allCount = await p.viable("log", "--all", "--count", "5");
  assert.equal(allCount.code, 2);
  assert.match(allCount.stderr, /--all and --count contradict each other/);
  const formats = await p.viable("log", "--json", "--jsonl");
  assert.equal(formats.code, 2);
  assert.match(formats.stderr, /--json and --jsonl are two output formats/);
});

void test("every --json command prints its error as JSON on stdout too, exit 2", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  const missing = path.join(p.dir, "nope");
  for (const command of [["state"], ["log"], ["agents"], ["plan", "show"], ["plan", "import", path.join(p.dir, "x.json"), "--format", "yaml"]]) {
    const r = await viable([...command, "--json", "-d", command[0] === "plan" && command[1] === "import" ? p.dir : missing]);
    assert.equal(r.code, 2, `${command.join(" ")}: ${r.stderr}`);
    const error = (JSON.parse(r.stdout) as { error: { reason: string; message: string; fix: string | null; field: string | null } }).error;
    assert.ok(error.reason && error.message && error.fix, `${command.join(" ")}: ${r.stdout}`);
  }
  const r = await viable(["plan", "import", path.join(p.dir, "x.json"), "--format", "yaml", "--json", "-d", p.dir]);
  const format = (JSON.parse(r.stdout) as { error: { field: string; message: string } }).error;
  assert.equal(format.field, "--format");
  assert.ok(!format.message.includes("--format"), `the message does not repeat the field: ${format.message}`);
  // Mistakes the argument parser finds, and a refusal to act without --yes, are JSON too.
  for (const command of [["log", "--json", "--count", "abc"], ["state", "--json", "--no-such-flag"], ["reset", "--json"]]) {
    const refused = await viable([...command, "-d", p.dir]);
    assert.equal(refused.code, 2, `${command.join(" ")}: ${refused.stderr}`);
    const error = (JSON.parse(refused.stdout) as { error: { reason: string; message: string; fix: string | null } }).error;
    assert.equal(error.reason, "bad_usage");
    assert.ok(error.message && error.fix, `${command.join(" ")}: ${refused.stdout}`);
  }
});

void test("a typo in .viable/config.json: read-only commands work with a warning naming the key; commands that act refuse", async (t) => {
  const p = e2eProject({ config: { verify: ["true"], verfy: ["npm test"] } });
  t.after(() => p.cleanup());
  p.agent("generalist-coder", "echo done");
  p.commitAll("agents");
  for (const command of [["state"], ["log"], ["agents"]]) {
    const r = await p.viable(command[0]!);
    assert.equal(r.code, 0, `${command[0]}: ${r.stderr}`);
    assert.match(r.stderr, /warning: .*config\.json \(verfy\): Unrecognized key/);
    assert.match(r.stderr, /read-only commands go on without it/);
  }
  const run = await p.viable("run", "Add a greeting function", "--simple");
  assert.equal(run.code, 2);
  assert.match(run.stderr, /config\.json \(verfy\)/);
});

void test("reset says exactly what it deletes: tasks, log entries, metrics, and the plan with its sessions", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("generalist-coder", "echo done");
  p.write("feature_list.json", JSON.stringify({ features: [{ id: "a", name: "A", description: "one item of the plan" }] }));
  p.commitAll("plan");
  assert.equal((await p.viable("run", "Add a greeting function", "--simple")).code, 0);
  assert.equal((await p.viable("plan", "import", path.join(p.dir, "feature_list.json"))).code, 0);
  const refused = await p.viable("reset");
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /and the imported plan with its results and sessions/);
  const r = await p.viable("reset", "--yes");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^state reset: deleted 1 task\(s\) with their attempts, \d+ log entries, the metrics and the kill switch, and the plan \(1 items, their results, 0 session record\(s\)\)/);
  assert.equal(fs.existsSync(path.join(p.dir, "feature_list.json")), true);
});
