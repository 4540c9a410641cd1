// Usage limits with the real CLIs in `viable loop`. Claude, logged in as a subscriber, hits its
// 5-hour limit half-way through an item (the scripted server answers with Anthropic's unified-limit
// headers): codex goes on in the same worktree, told what claude did, and the item passes. With only
// claude in the chain the loop pauses until the reset the server named — the test sets that clock
// a few seconds ahead — says so, and goes on by itself.

import assert from "node:assert/strict";
import { test } from "node:test";
import { startViable } from "../support/cli.ts";
import { ofType } from "../support/e2e.ts";
import { httpError, text, writeFile } from "../support/model-server/script.ts";
import { parseRun, type Feature, type LoopRun } from "../loop/support.ts";
import { explain, runtimeWorld, TEST_TIMEOUT, type World } from "./world.ts";

/**
 * Anthropic's answer when a subscription's limit is reached, resetting at `resetsAt()` (unix
 * seconds), asked when the answer is sent: a reset "a few seconds ahead" stays ahead however slow
 * the machine was to get there (a reset already past is no reset at all, and the loop waits its
 * default quarter of an hour).
 */
const limitReached = (resetsAt: () => number) => httpError(429, {
  message: "rate limited",
  headers: () => ({ "anthropic-ratelimit-unified-status": "rejected", "anthropic-ratelimit-unified-reset": String(resetsAt()), "anthropic-ratelimit-unified-representative-claim": "five_hour" }),
});

/** A reset `seconds` after the moment the limit is reported; `at` is what was sent. */
function resetIn(seconds: number): { at: number; next: () => number } {
  const r = { at: 0, next: () => (r.at = Math.floor(Date.now() / 1000) + seconds) };
  return r;
}

async function plan(w: World, items: Feature[]): Promise<void> {
  const features = items.map((f) => ({ name: `Item ${f.id}`, description: "a plain item that changes one file in the project tree", agent: "generalist-coder", ...f }));
  w.project.write("feature_list.json", `${JSON.stringify({ features }, null, 2)}\n`);
  w.project.commitAll("plan");
  assert.equal((await w.viable("plan", "import", `${w.project.dir}/feature_list.json`)).code, 0);
}

/** The loop as a subscriber runs it: claude logged in with an OAuth token, no API key. */
async function subscriberLoop(w: World): Promise<LoopRun> {
  const { ANTHROPIC_API_KEY: _key, ...env } = w.env;
  return parseRun(await startViable(["loop", "--json", "--concurrency", "1", "-d", w.project.dir], { env: { ...env, CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-scripted" } }).done);
}

void test("claude at its usage limit half-way through an item: codex goes on in the same worktree with the recap, and the item passes", TEST_TIMEOUT, async (t) => {
  const reset = Math.floor(Date.now() / 1000) + 3 * 3600;
  const w = await runtimeWorld(t, {
    clis: ["claude", "codex"],
    agents: { "generalist-coder": { fields: { fallback: "codex" } } },
    script: [
      writeFile("first.txt", "claude's half\n"),
      limitReached(() => reset),
      writeFile("second.txt", "codex's half\n"), text("Codex finished what claude started."),
    ],
  });
  await plan(w, [{ id: "a", verify: ["test -f first.txt", "test -f second.txt"] }]);
  const run = await subscriberLoop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  const decisions = ofType(events, "policy_decision").map((e) => e.data);
  assert.deepEqual(decisions.map((d) => d.decision), ["usage_limit", "fallback"]);
  assert.equal(decisions[0]!.until, new Date(reset * 1000).toISOString());
  // The recap reached codex's model: claude's words and tool calls, its file, the diff so far.
  const codexTurn = JSON.stringify(w.server.turns().find((r) => r.dialect === "openai-responses")?.body);
  assert.match(codexTurn, /A previous attempt with claude reached its provider's usage limit: You've hit your 5-hour limit/);
  assert.match(codexTurn, /What it did \(tool calls\):\\n- Write \S*first\.txt/);
  assert.match(codexTurn, /The diff so far:\\ndiff --git a\/first\.txt b\/first\.txt[\s\S]*\+claude's half/);
  assert.equal(w.project.git("show", "main:first.txt"), "claude's half\n");
  assert.equal(w.project.git("show", "main:second.txt"), "codex's half\n");
  w.server.assertScriptConsumed();
});

void test("every runtime of the chain at its limit: the loop pauses until the reset it was told, says so, and goes on by itself", TEST_TIMEOUT, async (t) => {
  // The reset the server names: a few seconds after it names it, so the wait is real and short.
  const reset = resetIn(5);
  const w = await runtimeWorld(t, {
    clis: ["claude"],
    // A reset already past when read would fall back to this: a second, so a miss fails at once instead of hanging.
    config: { retries: { max: 1, base_delay_ms: 50, max_delay_ms: 10_000, limit_reset_s: 1 } },
    script: [writeFile("first.txt", "before the limit\n"), limitReached(reset.next), writeFile("second.txt", "after the reset\n"), text("Done after the reset.")],
  });
  await plan(w, [{ id: "a", verify: ["test -f first.txt", "test -f second.txt"] }]);
  const run = await subscriberLoop(w);
  const events = await w.events();
  assert.equal(run.code, 0, explain(run, events));
  const [paused] = run.of("loop_paused");
  assert.ok(paused, run.stdout);
  assert.equal(paused.until, new Date(reset.at * 1000).toISOString());
  assert.deepEqual(paused.runtimes, ["claude"]);
  const [resumed] = run.of("loop_resumed");
  assert.ok(resumed && resumed.seq > paused.seq);
  // Resumed no earlier than the reset.
  const resumedAt = run.stream.find((e) => e.seq === resumed.seq)!.timestamp;
  assert.ok(Date.parse(resumedAt) >= reset.at * 1000, `${resumedAt} before ${new Date(reset.at * 1000).toISOString()}`);
  assert.deepEqual(ofType(events, "policy_decision").map((e) => e.data.decision), ["usage_limit", "wait_for_reset", "limit_reset"]);
  // After the reset claude went on with the recap of its own first attempt.
  const last = JSON.stringify(w.server.turns().at(-2)?.body);
  assert.match(last, /Files it changed \(still in the workspace\): first\.txt/);
  assert.equal(w.project.git("show", "main:second.txt"), "after the reset\n");
  w.server.assertScriptConsumed();
});

void test("viable run takes the same path: at the limit it says until when it waits, goes on at the reset, and the task completes", TEST_TIMEOUT, async (t) => {
  const reset = resetIn(5);
  const w = await runtimeWorld(t, { clis: ["claude"], config: { retries: { max: 1, base_delay_ms: 50, max_delay_ms: 10_000, limit_reset_s: 1 } }, script: [limitReached(reset.next), writeFile("done.txt", "done\n"), text("Done.")] });
  const { ANTHROPIC_API_KEY: _key, ...env } = w.env;
  const r = await startViable(["run", "Write done.txt", "--simple", "-d", w.project.dir], { env: { ...env, CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-scripted" } }).done;
  const events = await w.events();
  assert.equal(r.code, 0, explain(r, events));
  assert.match(r.stderr, /S1: generalist-coder: every runtime of generalist-coder is at its usage limit; waiting until \S+, then going on/);
  assert.match(r.stderr, /S1: generalist-coder: the usage limit reset; going on/);
  assert.deepEqual(ofType(events, "policy_decision").map((e) => e.data.decision).slice(0, 3), ["usage_limit", "wait_for_reset", "limit_reset"]);
  assert.equal(w.project.read("done.txt"), "done\n");
  w.server.assertScriptConsumed();
});
