// One attempt against a budget, with a scripted runtime: what crossing the line mid-stream and
// crossing it with the final result each do to the attempt and to what comes next.

import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultConfig } from "../../src/config/config.ts";
import type { AgentDefinition } from "../../src/domain/agent.ts";
import { ZERO_USAGE, type AgentEvent, type AttemptOutcome } from "../../src/domain/outcome.ts";
import type { Runtime } from "../../src/domain/runtime.ts";
import { BudgetTracker } from "../../src/engine/attempt/budget.ts";
import { runAttempt } from "../../src/engine/attempt/run-attempt.ts";
import { openStore } from "../../src/store/store.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { makeProject } from "../support/project.ts";

const AGENT: AgentDefinition = { name: "coder", description: "", runtime: "claude", prompt: "", kind: "custom", capabilities: [], source: "builtin" };

function succeeded(costUsd: number): AttemptOutcome {
  return { status: "succeeded", summary: "Done.", exitCode: 0, signal: null, usage: { ...ZERO_USAGE, inputTokens: 10, outputTokens: 5 }, costUsd, retryable: false, durationMs: 1, outputTruncated: false };
}

/** A runtime that yields `events`; when the attempt is cancelled it ends as cancelled, as a real one does. */
function scripted(events: AgentEvent[]): Runtime & { cancelled: () => boolean } {
  let cancelled = false;
  return {
    name: "claude",
    cancelled: () => cancelled,
    async *run(req) {
      for (const ev of events) {
        if (req.signal.aborted) {
          cancelled = true;
          yield { type: "finished", outcome: { ...succeeded(0), status: "cancelled", summary: "cancelled", exitCode: null } };
          return;
        }
        yield ev;
      }
    },
  };
}

async function attempt(t: { after: (fn: () => Promise<void> | void) => void }, runtime: Runtime, budgets: BudgetTracker, attemptId: string) {
  const p = makeProject();
  const store = await openStore(projectPaths(p.dir), { writer: true, command: "test" });
  t.after(async () => {
    await store.close();
    p.cleanup();
  });
  const ac = new AbortController();
  return runAttempt(
    { journal: store.journal, config: defaultConfig(), transcriptsDir: projectPaths(p.dir).transcriptsDir, now: () => new Date(), startRecord: "stage" },
    { runtime, agent: AGENT, taskId: "t1", attemptId, attemptNo: 1, prompt: "do it", cwd: p.dir, signal: ac.signal, budget: budgets.attempt({ taskId: "t1" }) },
  );
}

void test("a dollar budget crossed by the final result keeps the finished work a success; the next attempt is refused", async (t) => {
  const budgets = new BudgetTracker({ task: { usd: 0.01 } });
  // Claude reports its cost only in its result: the line is crossed with the last message.
  const runtime = scripted([{ type: "message", role: "assistant", text: "Done." }, { type: "finished", outcome: succeeded(0.05) }]);
  const { outcome } = await attempt(t, runtime, budgets, "t1-1-coder");
  assert.equal(outcome.status, "succeeded");
  assert.equal(outcome.costUsd, 0.05);
  assert.match(budgets.blocking({ taskId: "t1" })?.message ?? "", /task budget exceeded: \$0\.0500 spent of \$0\.01/);
});

void test("a dollar budget crossed mid-stream stops the attempt there, as failed with the budget named", async (t) => {
  const budgets = new BudgetTracker({ attempt: { usd: 0.01 } });
  const runtime = scripted([
    { type: "usage", usage: { ...ZERO_USAGE, inputTokens: 10 }, costUsd: 0.02 },
    { type: "message", role: "assistant", text: "still working" },
    { type: "finished", outcome: succeeded(0.03) },
  ]);
  const { outcome } = await attempt(t, runtime, budgets, "t1-2-coder");
  assert.equal(runtime.cancelled(), true, "the runtime saw the cancellation");
  assert.equal(outcome.status, "failed");
  assert.deepEqual(outcome.failure, { kind: "budget_exceeded", scope: "attempt" });
  assert.match(outcome.error ?? "", /attempt budget exceeded: \$0\.0200 spent of \$0\.01/);
});

void test("the nearest time budget is the attempt's timeout, and its timing out is that budget running out", async (t) => {
  let now = 0;
  const budgets = new BudgetTracker({ run: { seconds: 60 } }, () => now);
  now = 55_000;
  let timeoutMs: number | undefined;
  const runtime: Runtime = {
    name: "claude",
    async *run(req) {
      timeoutMs = req.limits.timeoutMs;
      yield { type: "finished", outcome: { ...succeeded(0), status: "timed_out", summary: "timed out", exitCode: null, error: "timed out after 5000 ms" } };
    },
  };
  const { outcome } = await attempt(t, runtime, budgets, "t1-3-coder");
  assert.equal(timeoutMs, 5000, "what is left of the run's minute, not the agent's own timeout");
  assert.equal(outcome.status, "failed");
  assert.deepEqual(outcome.failure, { kind: "budget_exceeded", scope: "run" });
  assert.match(outcome.error ?? "", /run budget exceeded: 60 s of 60 s/);
});
