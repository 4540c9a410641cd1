// `viable run` end to end: the VSMCycleResult of --json, exit codes, progress with -v, complexity
// hints, and what a command agent is given (prompt on stdin and in VIABLE_PROMPT, its identity in
// VIABLE_*, a scrubbed environment) and leaves behind (a transcript).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { json, viable } from "../support/cli.ts";
import { e2eProject, eventsOf, ofType, stateOf, type CycleJson } from "../support/e2e.ts";

void test("a successful cycle exits 0 and --json prints seed 001's VSMCycleResult", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo 'export const greet = () => \"hi\";' > greet.js && echo wrote greet.js");
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);
  assert.deepEqual(Object.keys(result).sort(),
    ["adaptations", "agents_invoked", "audit_passed", "conflicts", "s1_results", "success", "summary", "task_id"]);
  assert.match(result.task_id, /^[0-9a-f]{8}$/);
  assert.equal(result.success, true);
  assert.equal(result.summary, "Completed with 1/1 agents successful");
  assert.deepEqual(result.agents_invoked, ["s1-code-writer"]);
  assert.equal(result.audit_passed, true);
  assert.deepEqual(result.conflicts, []);
  assert.deepEqual(result.adaptations, []);
  assert.equal(result.s1_results.length, 1);
  const s1 = result.s1_results[0]!;
  assert.equal(s1.agent, "code-writer");
  assert.equal(s1.success, true);
  assert.equal(s1.output, "wrote greet.js");
  assert.equal(s1.error, null);
  assert.equal(s1.metadata.status, "succeeded");
  assert.equal(s1.metadata.exit_code, 0);
  assert.match(p.read("greet.js"), /greet/);

  const state = await stateOf(p.dir);
  assert.equal(state.current_task?.id, result.task_id);
  assert.equal(state.current_task?.status, "completed");
  assert.deepEqual(state.current_task?.assigned_agents, ["code-writer"]);
});

void test("a failing agent fails the task: exit 1, the summary names the agent and its error", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo 'could not parse the spec' >&2; exit 3");
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(r.code, 1, r.stderr);
  const result = json<CycleJson>(r);
  assert.equal(result.success, false);
  assert.match(result.summary, /0\/1 agents successful/);
  assert.match(result.summary, /code-writer: exited 3: could not parse the spec/);
  assert.equal(result.s1_results[0]?.metadata.status, "failed");
  assert.equal(result.audit_passed, false, "the audit counts a failed agent");

  // Without --json the same failure is a human line, and the exit code is still 1.
  const plain = await p.viable("run", "Add a greeting function");
  assert.equal(plain.code, 1);
  assert.match(plain.stdout, /✗ task [0-9a-f]{8}: Completed with 0\/1 agents successful/);
  const state = await stateOf(p.dir);
  assert.equal(state.current_task?.status, "failed");
  assert.match(state.current_task?.failure_reason ?? "", /code-writer: exited 3/);
  assert.equal(state.tasks.failed, 2);
});

void test("a failing verification fails the task with exit 1 even when every agent succeeded", async (t) => {
  const p = e2eProject({ config: { verify: ["echo 'expected greet() to exist'; exit 1"], defaults: { max_iterations: 1 } } });
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo nothing done");
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(r.code, 1);
  const result = json<CycleJson>(r);
  assert.equal(result.success, false);
  assert.equal(result.audit_passed, false);
  assert.equal(result.s1_results[0]?.success, true);
  assert.match(result.summary, /audit failed: `echo 'expected greet\(\) to exist'; exit 1` exited 1/);
});

void test("-v reports every step of the cycle on stderr, the result on stdout", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "echo implemented");
  p.agent("tester", "echo tested");
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function with tests", "-v");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n");
  const order = [/^task [0-9a-f]{8}: Add a greeting function with tests$/, /^S4: /, /^S3: medium \(0\.\d+\) → code-writer, tester \[sequential\]$/,
    /^S2: code-writer → tester$/, /^S1: code-writer \(command\) started$/, /^S1: code-writer succeeded: implemented$/,
    /^S1: tester \(command\) started$/, /^S1: tester succeeded: tested$/, /^S3\*: audit passed/];
  let at = -1;
  for (const re of order) {
    const next = lines.findIndex((l, i) => i > at && re.test(l));
    assert.ok(next > at, `expected a line matching ${String(re)} after line ${at} in:\n${r.stderr}`);
    at = next;
  }
  assert.match(r.stdout, /^✓ task [0-9a-f]{8}: Completed with 2\/2 agents successful/);
  assert.match(r.stdout, /audit: passed/);
});

void test("--simple, --medium and --complex decide the complexity; two of them are bad usage", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("generalist-coder", "echo general");
  p.agent("code-writer", "echo code");
  p.agent("tester", "echo test");
  p.agent("reviewer", "echo review");
  p.commitAll("agents");

  const expectations = [["--simple", "simple", ["s1-generalist-coder"]], ["--medium", "medium", ["s1-code-writer"]],
    ["--complex", "complex", ["s1-code-writer", "s1-tester", "s1-reviewer"]]] as const;
  const ids: string[] = [];
  for (const [flag, , agents] of expectations) {
    const r = await p.viable("run", "Add a greeting function", flag, "--json");
    assert.equal(r.code, 0, `${flag}: ${r.stderr}`);
    const result = json<CycleJson>(r);
    assert.deepEqual(result.agents_invoked, agents, flag);
    ids.push(result.task_id);
  }
  const assessed = ofType(await eventsOf(p.dir), "complexity_assessed");
  for (const [i, [flag, level]] of expectations.entries()) {
    const event = assessed.find((e) => e.task_id === ids[i]);
    assert.equal(event?.data.complexity, level, flag);
    assert.equal(event?.data.confidence, 0.95, flag);
    assert.equal(event?.data.rationale, `User specified ${level}`, flag);
  }
  assert.equal((await stateOf(p.dir)).current_task?.complexity, "complex");

  const before = (await stateOf(p.dir)).tasks;
  const both = await p.viable("run", "Add a greeting function", "--simple", "--complex");
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give one complexity hint, not simple and complex/);
  const unknown = await p.viable("run", "Add a greeting function", "--hint", "huge");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--hint: unknown complexity hint "huge"\n {2}fix: use one of: simple, medium, complex/);
  assert.deepEqual((await stateOf(p.dir)).tasks, before, "nothing was attempted");
});

void test("a command agent gets the prompt on stdin and in VIABLE_PROMPT, its identity in VIABLE_*, and a transcript", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  const envFile = p.sig("env.txt");
  const stdinFile = p.sig("stdin.txt");
  p.agent("code-writer", `env -0 > '${envFile}'; cat > '${stdinFile}'; echo 'line for the transcript'; echo 'to stderr as well' >&2`);
  p.commitAll("agents");

  const r = await viable(["run", "Add a greeting function", "--json", "-d", p.dir],
    { env: { MY_SECRET_TOKEN: "s3cr3t-value", ANTHROPIC_API_KEY: "sk-should-not-leak", NODE_OPTIONS: "--max-old-space-size=512" } });
  assert.equal(r.code, 0, r.stderr);
  const result = json<CycleJson>(r);

  const env = new Map(fs.readFileSync(envFile, "utf8").split("\0").filter(Boolean).map((kv) => {
    const at = kv.indexOf("=");
    return [kv.slice(0, at), kv.slice(at + 1)] as const;
  }));
  const prompt = fs.readFileSync(stdinFile, "utf8");
  assert.match(prompt, /^Task: Add a greeting function\n/);
  assert.match(prompt, /Your role: code-writer \(primary\)\. Focus: Implement the task\.$/m);
  assert.equal(env.get("VIABLE_PROMPT"), prompt);
  assert.equal(env.get("VIABLE_TASK_ID"), result.task_id);
  assert.equal(env.get("VIABLE_AGENT"), "code-writer");
  assert.equal(env.get("VIABLE_ATTEMPT"), "1");
  assert.equal(env.get("VIABLE_ATTEMPT_ID"), result.s1_results[0]?.metadata.attempt_id);
  // Scrubbed: Viable's own environment had these, the agent does not.
  for (const name of ["MY_SECRET_TOKEN", "ANTHROPIC_API_KEY", "NODE_OPTIONS"]) assert.equal(env.get(name), undefined, name);
  assert.ok(![...env.values()].some((v) => v.includes("s3cr3t-value") || v.includes("sk-should-not-leak")));
  assert.ok(env.has("PATH") && env.has("HOME"));

  const transcript = String(result.s1_results[0]?.metadata.transcript);
  assert.equal(path.dirname(transcript), path.join(p.dir, ".viable", "state", "transcripts"));
  const text = fs.readFileSync(transcript, "utf8");
  assert.match(text, /line for the transcript/);
  assert.match(text, /to stderr as well/);
  // Viable's state never shows up as a change in the user's tree.
  assert.doesNotMatch(p.git("status", "--porcelain"), /\.viable\/state/);
});

void test("an agent whose command does not exist fails the task with \"command not found\"", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("code-writer", "viable-test-no-such-program --do-it");
  p.commitAll("agents");

  const r = await p.viable("run", "Add a greeting function", "--json");
  assert.equal(r.code, 1);
  const result = json<CycleJson>(r);
  assert.equal(result.success, false);
  assert.match(result.summary, /code-writer: command not found: .*viable-test-no-such-program/);
  assert.equal(result.s1_results[0]?.metadata.exit_code, 127);
  const state = await stateOf(p.dir);
  assert.match(state.current_task?.failure_reason ?? "", /command not found/);
});

void test("--events prints the run's events as NDJSON while it runs, in sequence order; with --json the result is the last line", async (t) => {
  const p = e2eProject();
  t.after(() => p.cleanup());
  p.agent("generalist-coder", "echo implemented");
  p.commitAll("agents");
  const r = await p.viable("run", "Add a greeting function", "--simple", "--events");
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { seq: number; event_type: string; task_id: string | null; data: Record<string, unknown> });
  assert.equal(events[0]?.event_type, "task_started");
  assert.equal(events.at(-1)?.event_type, "task_completed");
  const seqs = events.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.equal(new Set(seqs).size, seqs.length);
  for (const type of ["environment_scanned", "allocation_made", "agent_invoked", "agent_completed", "audit_performed"]) {
    assert.ok(events.some((e) => e.event_type === type), `${type} in the stream`);
  }
  // The stream is the log: the same events, with the same sequence numbers.
  const log = await eventsOf(p.dir, events[0].task_id!);
  assert.deepEqual(events.map((e) => e.event_type), log.map((e) => e.event_type));

  const both = await p.viable("run", "Add a farewell function", "--simple", "--events", "--json");
  assert.equal(both.code, 0, both.stderr);
  const lines = both.stdout.trim().split("\n");
  const result = JSON.parse(lines.at(-1)!) as { task_id: string; success: boolean };
  assert.equal(result.success, true);
  assert.ok(lines.slice(0, -1).every((l) => "seq" in (JSON.parse(l) as object)));
});
