// The scenarios every CLI should pass end to end, registered per CLI by test/agents-cli/<cli>.test.ts.
// A CLI whose behaviour makes a scenario impractical here (minutes of built-in retries) leaves it
// out through `skipScenarios`, with the reason kept next to that CLI's test file.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test, type TestContext } from "node:test";
import type { AgentEvent } from "../../../src/domain/outcome.ts";
import { createStreamHold, httpError, shell, text, writeFile } from "../model-server/script.ts";
import type { AgentCliName } from "./install.ts";
import { describeRun, runScenario } from "./scenario.ts";

export type CommonScenario = "writes a file" | "runs a command" | "resumes its session" | "401" | "500" | "429" | "cancel";

export interface CommonScenarioOptions {
  skipScenarios?: readonly CommonScenario[];
  /** The CLI honours retry-after and reports it (so the outcome carries a hint). */
  reportsRetryAfter: boolean;
  /** How many requests one rate-limited run makes here, when the CLI's own retries cannot be turned down. */
  rateLimitRequests?: number;
}

const TIMEOUT = { timeout: 180_000 };

export function defineCommonScenarios(cli: AgentCliName, o: CommonScenarioOptions): void {
  const skip = new Set(o.skipScenarios ?? []);
  const scenario = (name: CommonScenario, fn: (t: TestContext) => Promise<void>): void => {
    if (!skip.has(name)) void test(`${cli}: ${name}`, TIMEOUT, fn);
  };

  scenario("writes a file", async (t) => {
    const r = await runScenario(t, cli, [writeFile("notes/hello.txt", "hello from the scripted model\n", "Writing the file."), text("Wrote notes/hello.txt.")]);
    assert.equal(r.outcome.status, "succeeded", describeRun(r));
    r.server.assertScriptConsumed();
    assert.equal(readFileSync(path.join(r.scratch.repo, "notes/hello.txt"), "utf8"), "hello from the scripted model\n");
    assert.deepEqual(r.outcome.changedFiles, ["notes/hello.txt"]);
    assert.equal(r.outcome.summary, "Wrote notes/hello.txt.");
    assert.ok(r.outcome.sessionId, "a session id for continuation");
    assert.ok(r.outcome.usage.inputTokens > 0 && r.outcome.usage.outputTokens > 0, JSON.stringify(r.outcome.usage));
    assert.ok(ofType(r.events, "tool_call").length >= 1);
    assert.deepEqual(
      ofType(r.events, "file_change").map((e) => e.path),
      ["notes/hello.txt"],
    );
    assert.equal(r.events.at(-1)?.type, "finished");
  });

  scenario("runs a command", async (t) => {
    const r = await runScenario(t, cli, [shell("echo ran-by-agent > ran.txt"), text("Ran it.")]);
    assert.equal(r.outcome.status, "succeeded", describeRun(r));
    r.server.assertScriptConsumed();
    assert.equal(readFileSync(path.join(r.scratch.repo, "ran.txt"), "utf8"), "ran-by-agent\n");
    const results = ofType(r.events, "tool_result");
    assert.ok(results.length >= 1 && results.every((e) => e.ok), JSON.stringify(results));
    assert.equal(r.outcome.summary, "Ran it.");
  });

  scenario("resumes its session", async (t) => {
    const first = await runScenario(t, cli, [text("The secret word is PAPAYA.")], { prompt: "Pick a secret word." });
    assert.equal(first.outcome.status, "succeeded", describeRun(first));
    const { sessionId } = first.outcome;
    assert.ok(sessionId);
    // Same HOME (the CLI keeps its sessions there), a new server for the second run.
    const second = await runScenario(t, cli, [text("It was PAPAYA.")], { prompt: "What was the word?", resumeSessionId: sessionId, scratch: first.scratch });
    assert.equal(second.outcome.status, "succeeded", describeRun(second));
    assert.equal(second.outcome.sessionId, sessionId);
    assert.match(JSON.stringify(second.server.turns()[0]?.body), /The secret word is PAPAYA/, "the history went back to the model");
    second.server.assertScriptConsumed();
  });

  scenario("401", async (t) => {
    const r = await runScenario(t, cli, [httpError(401, { message: "invalid x-api-key" })]);
    assert.equal(r.outcome.status, "failed", describeRun(r));
    assert.equal(r.outcome.retryable, false);
    assert.match(r.outcome.error ?? "", /invalid x-api-key|401|Unauthori[sz]ed|API key/i);
    r.server.assertScriptConsumed();
  });

  scenario("500", async (t) => {
    const r = await runScenario(t, cli, [httpError(500, { message: "scripted outage" })]);
    assert.equal(r.outcome.status, "failed", describeRun(r));
    assert.equal(r.outcome.retryable, true);
    r.server.assertScriptConsumed();
  });

  scenario("429", async (t) => {
    // Where the CLI reports the hint, one retry lets it meet retry-after and show what it made of
    // it; elsewhere no retry keeps the test quick (gemini's backoff took 9 s for one).
    const retries = o.reportsRetryAfter ? 1 : 0;
    const times = o.rateLimitRequests ?? retries + 1;
    const r = await runScenario(t, cli, [httpError(429, { message: "slow down", headers: { "retry-after": "1" }, times })], { retries });
    assert.equal(r.outcome.status, "rate_limited", describeRun(r));
    assert.equal(r.outcome.retryable, true);
    if (o.reportsRetryAfter) {
      assert.ok((r.outcome.retryAfterMs ?? 0) >= 1000, `retry hint from retry-after: ${r.outcome.retryAfterMs}`);
    } else {
      assert.equal(r.outcome.retryAfterMs, undefined, "this CLI reports no hint; a number here would be invented");
    }
    r.server.assertScriptConsumed();
  });

  scenario("cancel", async (t) => {
    const hold = createStreamHold();
    t.after(() => hold.release());
    const r = await runScenario(t, cli, [{ reply: { text: "Thinking about it for a long time", hold } }], {
      cancelWhen: () => hold.reached,
    });
    assert.equal(r.outcome.status, "cancelled", describeRun(r));
    assert.equal(r.server.turns().length, 1);
    assert.deepEqual(r.server.failures, []);
    assert.equal(existsSync(path.join(r.scratch.repo, "notes")), false);
  });
}

export function ofType<K extends AgentEvent["type"]>(events: AgentEvent[], type: K): Extract<AgentEvent, { type: K }>[] {
  return events.filter((e): e is Extract<AgentEvent, { type: K }> => e.type === type);
}
