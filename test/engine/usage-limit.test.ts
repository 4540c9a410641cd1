// An agent's step when its provider's usage limit is reached, with scripted runtimes: the next
// runtime of the chain goes on in the same workspace with a recap of what the limited one said and
// did and the diff it left; the limited runtime is left alone until its reset; when every runtime
// of the chain is limited the step waits for the earliest reset and goes on.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { defaultConfig, type ViableConfig } from "../../src/config/config.ts";
import type { AgentDefinition } from "../../src/domain/agent.ts";
import { ZERO_USAGE, type AgentEvent, type AttemptOutcome } from "../../src/domain/outcome.ts";
import type { Runtime, RuntimeName } from "../../src/domain/runtime.ts";
import { AttemptPipeline } from "../../src/engine/attempt/pipeline.ts";
import { runAgent } from "../../src/engine/attempt/run-agent.ts";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { ensureStateIgnored } from "../../src/workspace/project.ts";
import { makeProject } from "../support/project.ts";

const AGENT: AgentDefinition = { name: "coder", description: "", runtime: "claude", fallback: ["codex"], prompt: "", kind: "custom", capabilities: [], source: "builtin" };

function outcome(status: AttemptOutcome["status"], extra: Partial<AttemptOutcome> = {}): AttemptOutcome {
  return { status, summary: status, exitCode: 0, signal: null, usage: { ...ZERO_USAGE, inputTokens: 10, outputTokens: 5 }, retryable: false, durationMs: 1, outputTruncated: false, ...extra };
}

interface Turn {
  /** What the runtime does in the workspace before it streams (writes files). */
  act?: (cwd: string) => void;
  /** Or made when the turn plays: a reset "a moment ahead" of then, however slow the way there was. */
  events: AgentEvent[] | (() => AgentEvent[]);
}

/** Runtimes that play their turns in order and record every prompt they were given. */
function runtimes(turns: Partial<Record<RuntimeName, Turn[]>>) {
  const prompts: { runtime: RuntimeName; prompt: string }[] = [];
  const make = (name: RuntimeName): Runtime => ({
    name,
    async *run(req) {
      prompts.push({ runtime: name, prompt: req.prompt });
      const turn = turns[name]?.shift();
      if (!turn) throw new Error(`${name} was not expected to run`);
      turn.act?.(req.cwd);
      for (const ev of typeof turn.events === "function" ? turn.events() : turn.events) yield ev;
    },
  });
  return { prompts, runtime: make };
}

/**
 * The pipeline's clock: the real one, moved on by the test. A reset set a minute ahead and reached
 * by moving the clock the moment a step starts to wait for it is the same however slow the machine
 * is on the way there — and the test does not sleep for it.
 */
function testClock() {
  let skew = 0;
  const now = () => new Date(Date.now() + skew);
  return { now, to: (at: Date) => void (skew += Math.max(0, at.getTime() - now().getTime())) };
}

async function world(t: TestContext, runtime: (name: RuntimeName) => Runtime, config: ViableConfig = defaultConfig(), now: () => Date = () => new Date()) {
  const p = makeProject();
  await ensureStateIgnored(projectPaths(p.dir));
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(async () => {
    await store.close();
    p.cleanup();
  });
  const pipeline = new AttemptPipeline({ journal: store.journal, config, runtime, transcriptsDir: projectPaths(p.dir).transcriptsDir, now, startRecord: "stage" });
  const decisions = async () => (await store.journal.flush(), (await store.queries.events({ eventType: "policy_decision" })).map((e) => e.data));
  return { dir: p.dir, pipeline, decisions };
}

const limited = (resetsAt: Date | null): AgentEvent => ({
  type: "finished",
  outcome: outcome("failed", { error: "You've hit your usage limit", failure: { kind: "usage_limit", resetsAt: resetsAt?.toISOString() ?? null } }),
});

void test("claude at its usage limit half-way: codex goes on in the same workspace, told what claude said and did and the diff so far; claude is left alone until its reset", async (t) => {
  const reset = new Date(Date.now() + 3_600_000);
  const r = runtimes({
    claude: [{
      act: (cwd) => fs.writeFileSync(path.join(cwd, "half.txt"), "the first half\n"),
      events: [
        { type: "message", role: "assistant", text: "I will write the first half, then the second." },
        { type: "tool_call", id: "1", name: "Write", input: { file_path: "/w/half.txt", content: "the first half\n" } },
        limited(reset),
      ],
    }],
    codex: [
      { act: (cwd) => fs.appendFileSync(path.join(cwd, "half.txt"), "the second half\n"), events: [{ type: "finished", outcome: outcome("succeeded", { summary: "Finished it." }) }] },
      { events: [{ type: "finished", outcome: outcome("succeeded") }] },
    ],
  });
  const w = await world(t, r.runtime);
  const first = await runAgent(w.pipeline, { agent: AGENT, taskId: "t1", prompt: "Write half.txt in two halves.", cwd: w.dir, signal: new AbortController().signal });
  assert.equal(first.outcome.status, "succeeded");
  assert.equal(first.runtime, "codex");
  const told = r.prompts[1]!.prompt;
  assert.match(told, /^Write half\.txt in two halves\.\n\nA previous attempt with claude reached its provider's usage limit: You've hit your usage limit/);
  assert.match(told, /What it said:\n- I will write the first half, then the second\./);
  assert.match(told, /What it did \(tool calls\):\n- Write \/w\/half\.txt/);
  assert.match(told, /Files it changed \(still in the workspace\): half\.txt/);
  assert.match(told, /The diff so far:\n[\s\S]*\+the first half/);
  assert.equal(fs.readFileSync(path.join(w.dir, "half.txt"), "utf8"), "the first half\nthe second half\n", "the work was carried, not redone");
  assert.deepEqual(w.pipeline.limits.until("claude"), reset);

  // The next step of any agent on claude goes straight to codex until the reset.
  const second = await runAgent(w.pipeline, { agent: AGENT, taskId: "t1", prompt: "Next.", cwd: w.dir, signal: new AbortController().signal });
  assert.equal(second.runtime, "codex");
  assert.deepEqual(r.prompts.map((p) => p.runtime), ["claude", "codex", "codex"]);
  const decisions = await w.decisions();
  assert.deepEqual(decisions.map((d) => d.decision), ["usage_limit", "fallback", "skip_runtime"]);
  assert.equal(decisions[0]!.until, reset.toISOString());
  assert.match(String(decisions[2]!.reason), /at its usage limit until/);
});

void test("every runtime of the chain at its limit: the step waits for the earliest reset and goes on with the recap; a rate limit longer than any retry is a limit too", async (t) => {
  // Claude's reset a minute ahead of when its limit is hit; the clock moves there once the step waits.
  const clock = testClock();
  let claudeReset = new Date(0);
  const r = runtimes({
    claude: [
      { act: (cwd) => fs.writeFileSync(path.join(cwd, "a.txt"), "a\n"), events: () => [{ type: "tool_call", id: "1", name: "Bash", input: { command: "echo a > a.txt" } }, limited(claudeReset = new Date(clock.now().getTime() + 60_000))] },
      { events: [{ type: "finished", outcome: outcome("succeeded") }] },
    ],
    codex: [{ events: [{ type: "finished", outcome: outcome("rate_limited", { error: "429", retryAfterMs: 3_600_000 }) }] }],
  });
  const w = await world(t, r.runtime, defaultConfig(), clock.now);
  const waits: (string | null)[] = [];
  w.pipeline.limits.onChange((x) => {
    waits.push(x ? x.until.toISOString() : null);
    if (x) clock.to(x.until);
  });
  const result = await runAgent(w.pipeline, { agent: AGENT, taskId: "t1", prompt: "Do it.", cwd: w.dir, signal: new AbortController().signal });
  assert.equal(result.outcome.status, "succeeded");
  assert.deepEqual(r.prompts.map((p) => p.runtime), ["claude", "codex", "claude"]);
  assert.deepEqual(waits, [claudeReset.toISOString(), null], "waited for claude's reset, the earlier one");
  assert.match(r.prompts[2]!.prompt, /Files it changed \(still in the workspace\): a\.txt/);
  assert.ok(w.pipeline.limits.until("codex")! > new Date(Date.now() + 3_000_000), "codex's hour-long rate limit holds");
  assert.deepEqual((await w.decisions()).map((d) => d.decision), ["usage_limit", "fallback", "usage_limit", "wait_for_reset", "limit_reset"]);
});

void test("a stop while waiting for a reset ends the step at once with the usage limit as its outcome", async (t) => {
  const r = runtimes({ claude: [{ events: [limited(new Date(Date.now() + 3_600_000))] }], codex: [{ events: [limited(null)] }] });
  const w = await world(t, r.runtime);
  const stop = new AbortController();
  w.pipeline.limits.onChange((x) => {
    if (x) stop.abort("Ctrl-C");
  });
  const result = await runAgent(w.pipeline, { agent: AGENT, taskId: "t1", prompt: "Do it.", cwd: w.dir, signal: stop.signal });
  assert.equal(result.outcome.failure?.kind, "usage_limit");
  // Codex said nothing of when: it is left alone for retries.limit_reset_s.
  const codex = w.pipeline.limits.until("codex")!.getTime() - Date.now();
  assert.ok(codex > 890_000 && codex <= 900_000, String(codex));
});

void test("one runtime at its limit, the other's breaker open: the step waits for the reset instead of failing at once (no relaunch loop)", async (t) => {
  const clock = testClock();
  const r = runtimes({
    // Claude's reset half a minute ahead: before codex's breaker tries again (a minute after it opened).
    claude: [{ events: () => [limited(new Date(clock.now().getTime() + 30_000))] }, { events: [{ type: "finished", outcome: outcome("succeeded") }] }],
  });
  const w = await world(t, r.runtime, defaultConfig(), clock.now);
  w.pipeline.limits.onChange((x) => x && clock.to(x.until));
  for (let i = 0; i < 3; i++) w.pipeline.breakers.for("codex").recordFailure();
  const result = await runAgent(w.pipeline, { agent: AGENT, taskId: "t1", prompt: "Do it.", cwd: w.dir, signal: new AbortController().signal });
  assert.equal(result.outcome.status, "succeeded");
  assert.deepEqual(r.prompts.map((p) => p.runtime), ["claude", "claude"]);
  assert.deepEqual((await w.decisions()).map((d) => d.decision), ["usage_limit", "wait_for_reset", "limit_reset"]);
});

void test("a shadow's step does not wait for a reset: with every runtime limited it ends with the limit", async (t) => {
  const r = runtimes({ claude: [{ events: [limited(new Date(Date.now() + 3_600_000))] }], codex: [{ events: [limited(new Date(Date.now() + 3_600_000))] }] });
  const w = await world(t, r.runtime);
  const waits: unknown[] = [];
  w.pipeline.limits.onChange((x) => waits.push(x));
  const result = await runAgent(w.pipeline, { agent: AGENT, taskId: "t1", prompt: "Do it.", cwd: w.dir, signal: new AbortController().signal, waitForReset: false });
  assert.equal(result.outcome.failure?.kind, "usage_limit");
  assert.deepEqual(waits, [], "no wait, no pause");
});
