// Claude Code through Viable: `viable run` with an agent of `runtime: claude`, the real CLI from the
// cache against the scripted Anthropic server. What each scenario checks is what Viable makes of
// the CLI's facts: the task's result, the attempts and retries it recorded, and the processes it
// left (none).

import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { isRunning, ofType, waitFor } from "../support/e2e.ts";
import { createStreamHold, httpError, shell, text, writeFile } from "../support/model-server/script.ts";
import {
  attemptEnds, attemptsIn, explain, fakeCli, processesMarked, runtimeWorld, streamed, TEST_TIMEOUT, viableRetries,
} from "./world.ts";

void test("claude via viable: writes a file and runs a command → succeeded, file_change logged", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [writeFile("notes/hello.txt", "hello from claude\n", "Writing the file."), shell("echo ran-by-agent > ran.txt"), text("Wrote notes/hello.txt and ran the command.")],
  });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  assert.equal(cycle.success, true);
  assert.equal(cycle.s1_results[0]?.output, "Wrote notes/hello.txt and ran the command.");
  assert.equal(cycle.s1_results[0]?.metadata["runtime"], "claude");
  assert.equal(cycle.s1_results[0]?.metadata["attempts"], 1);
  assert.equal(w.project.read("notes/hello.txt"), "hello from claude\n");
  assert.equal(w.project.read("ran.txt"), "ran-by-agent\n");
  assert.deepEqual(streamed(events, "file_change").map((e) => [e["path"], e["kind"]]), [["notes/hello.txt", "add"]]);
  assert.deepEqual(streamed(events, "tool_call").map((e) => e["name"]), ["Write", "Bash"]);
  assert.deepEqual(streamed(events, "tool_result").map((e) => e["ok"]), [true, true]);
  const [end] = attemptEnds(events);
  assert.equal(end?.["status"], "succeeded");
  assert.equal(typeof end?.["cost_usd"], "number", "claude reports its cost");
  assert.ok(end?.["session_id"], "the session id is kept for continuation");
  w.server.assertScriptConsumed();
});

void test("claude via viable: 401 → failed, not retried", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, { clis: ["claude"], script: [httpError(401, { message: "invalid x-api-key" })], config: { retries: { max: 2, base_delay_ms: 50 } } });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  assert.equal(cycle.success, false);
  assert.equal(cycle.s1_results[0]?.metadata["attempts"], 1);
  assert.equal(attemptsIn(events).length, 1);
  assert.deepEqual(viableRetries(events), []);
  const [end] = attemptEnds(events);
  assert.equal(end?.["status"], "failed");
  assert.match(String(end?.["error"]), /invalid api key|invalid x-api-key|401/i);
  w.server.assertScriptConsumed();
});

void test("claude via viable: 500 → retried by Viable, then succeeded", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, { clis: ["claude"], script: [httpError(500, { message: "scripted outage" }), text("Recovered.")] });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  assert.equal(cycle.s1_results[0]?.metadata["attempts"], 2);
  assert.equal(attemptsIn(events).length, 2);
  const retries = viableRetries(events);
  assert.equal(retries.length, 1, explain(result, events));
  assert.equal(retries[0]?.["delayMs"], 50, "base_delay_ms: no hint from a 500");
  assert.equal(retries[0]?.["honoured_hint"], false);
  assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["failed", "succeeded"]);
  w.server.assertScriptConsumed();
});

void test("claude via viable: 500 after the session did some work → Viable's retry resumes the session", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [writeFile("first.txt", "1\n"), httpError(500, { message: "scripted outage" }), text("Finished after resuming.")],
  });
  const { result } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["failed", "succeeded"]);
  assert.equal(ends[1]?.["session_id"], ends[0]?.["session_id"], "the same claude session went on");
  const resumed = JSON.stringify(w.server.turns()[2]?.body);
  assert.match(resumed, /first\.txt/, "the retried request carries the earlier turns");
  w.server.assertScriptConsumed();
});

void test("claude via viable: 429 with retry-after → Viable waits as hinted, then succeeded", TEST_TIMEOUT, async (t) => {
  // Claude reports the hint only through its own retry (system/api_retry: retry-after plus
  // jitter), so it retries once itself; Viable then waits what Claude said before its next attempt.
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    cliRetries: 1,
    script: [httpError(429, { message: "slow down", headers: { "retry-after": "1" }, times: 2 }), text("Done after the wait.")],
  });
  const { result } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  const [first, second] = attemptsIn(events);
  assert.ok(first && second, explain(result, events));
  const cliRetry = streamed(events, "retry").find((e) => e["attempt_id"] === first.id);
  const hint = Number(cliRetry?.["delayMs"]);
  assert.ok(hint >= 1000 && hint < 3000, `claude's retry delay honours retry-after: ${hint}`);
  const retries = viableRetries(events);
  assert.equal(retries.length, 1);
  assert.equal(retries[0]?.["delayMs"], hint, "Viable waits exactly what the provider hinted");
  assert.equal(retries[0]?.["honoured_hint"], true);
  assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["rate_limited", "succeeded"]);
  // And it did wait: the second attempt started at least that long after the first ended.
  const ended = Date.parse(events.find((e) => e.event_type === "agent_error")?.timestamp ?? "");
  const started = Date.parse(events.filter((e) => e.event_type === "agent_invoked")[1]?.timestamp ?? "");
  assert.ok(started - ended >= hint, `waited ${started - ended} ms of ${hint}`);
  w.server.assertScriptConsumed();
});

void test("claude via viable: a permission denial (auto_approve false) → needs_input, not retried", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [writeFile("denied.txt", "x\n"), text("I could not write the file.")],
    config: { runtimes: { claude: { auto_approve: false } } },
  });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  assert.equal(cycle.success, false);
  assert.equal(cycle.s1_results[0]?.metadata["status"], "needs_input");
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["needs_input"]);
  assert.match(String(ends[0]?.["error"]), /permission denied for Write/);
  assert.equal(w.project.exists("denied.txt"), false);
  assert.deepEqual(viableRetries(events), []);
  w.server.assertScriptConsumed();
});

void test("claude via viable: max_turns 1 with a task needing two turns → failed at the turn limit", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    script: [writeFile("first.txt", "1\n"), text("All done.")],
    config: { runtimes: { claude: { max_turns: 1 } } },
  });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  assert.equal(cycle.success, false);
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["failed"]);
  assert.match(String(ends[0]?.["error"]), /turn limit/);
  assert.equal(attemptsIn(events).length, 1, "a turn limit is not retried");
  assert.equal(w.server.remainingSteps(), 1, "the second turn was never requested");
  assert.deepEqual(w.server.failures, []);
});

void test("claude via viable: idle timeout while a setsid'd tool child runs → the whole attempt is killed", TEST_TIMEOUT, async (t) => {
  // Claude's Bash tool runs its command in a new session, out of the process group Viable
  // signals; the command is silent, so the only way out is the idle timeout, and the only way to
  // stop the command is to find it by the attempt marker it inherited.
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    agents: { "generalist-coder": { fields: { idle_timeout: 6 } } },
    config: { retries: { max: 0 } },
  });
  const pidFile = w.project.sig("tool.pid");
  w.server.enqueue(shell(`echo $$ > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}' && exec sleep 1000`), text("never reached"));
  const run = w.start("run", "Write the file", "--simple", "--json");
  const toolPid = Number(await waitForFile(pidFile));
  const toolMarker = processesMarked("").find((p) => p.pid === toolPid)?.marker;
  assert.ok(toolMarker, `the tool's process ${toolPid} carries an attempt marker`);
  const toolSession = sessionOf(toolPid);
  const result = await run.done;
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  const [attempt] = attemptsIn(events);
  assert.ok(attempt);
  assert.equal(toolMarker, attempt.id, "the marker is the attempt's id");
  const claudePid = Number(streamed(events, "started")[0]?.["pid"]);
  assert.notEqual(toolSession, claudePid, "the tool ran in a session of its own");
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["timed_out"]);
  assert.match(String(ends[0]?.["error"]), /no output for 6 s/);
  assert.equal(isRunning(toolPid), false, "the silent tool command was stopped");
  assert.equal(isRunning(claudePid), false);
  assert.deepEqual(processesMarked(attempt.id), [], "nothing with the attempt's marker survives");
  assert.equal(w.server.remainingSteps(), 1);
});

void test("claude via viable: SIGINT mid-stream → exit 130, attempt cancelled, no survivors", TEST_TIMEOUT, async (t) => {
  const w = await runtimeWorld(t, { clis: ["claude"] });
  const hold = createStreamHold();
  t.after(() => hold.release());
  // First a background command that leaves the tool's session (setsid) and outlives the tool call,
  // then a model answer the server holds open.
  const pidFile = w.project.sig("escaped.pid");
  w.server.enqueue(
    shell(`setsid sh -c 'echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && exec sleep 1000' > /dev/null 2>&1 < /dev/null & echo started`),
    { reply: { text: "Thinking about it for a long time", hold } },
  );
  const run = w.start("run", "Write the file", "--simple", "--json");
  await hold.reached;
  const escaped = Number(await waitForFile(pidFile));
  // Other suites on this machine mark their processes too: ours are told apart by the attempt id below.
  const marked = processesMarked("");
  run.child.kill("SIGINT");
  const result = await run.done;
  const events = await w.events();
  assert.equal(result.code, 130, explain(result, events));
  const [attempt] = attemptsIn(events);
  assert.ok(attempt);
  const before = marked.filter((p) => p.marker === attempt.id);
  const claudePid = Number(streamed(events, "started")[0]?.["pid"]);
  for (const pid of [claudePid, escaped]) assert.ok(before.some((p) => p.pid === pid), `${pid} ran with the marker: ${JSON.stringify(marked)}`);
  assert.deepEqual(attemptEnds(events).map((e) => e["status"]), ["cancelled"]);
  assert.equal(ofType(events, "task_failed").length, 1);
  assert.deepEqual(processesMarked(attempt.id), [], "nothing with the attempt's marker survives");
  for (const p of before) assert.equal(isRunning(p.pid), false, `process ${p.pid} is gone`);
});

void test("claude via viable: garbage on stdout, exit 0 → failed (ended without a result), no crash", TEST_TIMEOUT, async (t) => {
  const bin = fakeCli(t, `echo 'this is not JSON'\necho '{"half":'\nexit 0`);
  const w = await runtimeWorld(t, { clis: ["claude"], config: { runtimes: { claude: { bin } } } });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  assert.equal(cycle.success, false);
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["failed"]);
  assert.match(String(ends[0]?.["error"]), /ended without a result \(exit code 0\)/);
  assert.ok(streamed(events, "stderr").some((e) => e["text"] === "this is not JSON"), "the garbage is kept as a diagnostic");
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, "no stack trace");
});

void test("claude via viable: 10 MB of output → transcript capped, output_truncated, still classified", TEST_TIMEOUT, async (t) => {
  const cap = 1024 * 1024;
  const init = JSON.stringify({ type: "system", subtype: "init", session_id: "fake-session", model: "fake-model" });
  const message = JSON.stringify({ type: "assistant", message: { id: "m1", content: [{ type: "text", text: "x".repeat(1000) }] } });
  const done = JSON.stringify({ type: "result", subtype: "success", is_error: false, result: "Printed ten megabytes.", session_id: "fake-session", usage: { input_tokens: 1, output_tokens: 1 } });
  // 10240 lines of about 1 KB, between a valid start and a valid result.
  const bin = fakeCli(t, `echo '${init}'\nyes '${message}' | head -n 10240\necho '${done}'`);
  const w = await runtimeWorld(t, { clis: ["claude"], config: { defaults: { max_output_bytes: cap }, runtimes: { claude: { bin } } } });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  assert.equal(cycle.s1_results[0]?.output, "Printed ten megabytes.");
  const [end] = attemptEnds(events);
  assert.equal(end?.["status"], "succeeded");
  assert.equal(end?.["output_truncated"], true);
  assert.ok(Number(end?.["events_not_logged"]) > 0, "events past the per-attempt limit are counted, not logged");
  const transcript = String(cycle.s1_results[0]?.metadata["transcript"]);
  const size = fs.statSync(transcript).size;
  assert.ok(size <= cap + 1024 && size > cap / 2, `transcript ${size} bytes, cap ${cap}`);
});

void test("claude via viable: a tiny attempt token budget stops the session mid-run; no retry, no fallback", TEST_TIMEOUT, async (t) => {
  const hold = createStreamHold();
  t.after(() => hold.release());
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex"],
    agents: { "generalist-coder": { fields: { fallback: "codex", timeout: 30 } } },
    config: { budgets: { attempt: { tokens: 30 } }, retries: { max: 2, base_delay_ms: 50 } },
    // The first model call alone crosses the budget; had the session gone on, its next call would
    // hang on the hold until the agent's timeout.
    script: [{ reply: { toolCalls: [{ tool: "write_file", args: { path: "first.txt", content: "1\n" } }], usage: { inputTokens: 40 } } }, { reply: { text: "never", hold } }],
  });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 1, explain(result, events));
  assert.equal(cycle.success, false);
  const ends = attemptEnds(events);
  assert.deepEqual(ends.map((e) => e["status"]), ["failed"], explain(result, events));
  assert.match(String(ends[0]?.["error"]), /attempt budget exceeded: \d+ tokens used of 30/);
  assert.deepEqual(attemptsIn(events).map((a) => a.runtime), ["claude"], "no retry and no fallback after a budget stop");
  assert.deepEqual(viableRetries(events), []);
  assert.equal(ofType(events, "policy_decision").filter((e) => e.data["decision"] === "fallback").length, 0);
});

function waitForFile(file: string): Promise<string> {
  return waitFor(() => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : undefined), file, 30_000);
}

/** The session id of a process, from /proc/<pid>/stat. */
function sessionOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}
