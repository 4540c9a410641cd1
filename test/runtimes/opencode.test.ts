// OpenCode through Viable. It retries 429 and 5xx on its own for more than a minute with nothing
// to turn that down (test/support/agent-clis/NOTES.md), so no 5xx scenario runs through Viable.

import assert from "node:assert/strict";
import { test } from "node:test";
import { defineBasicScenarios } from "./basic-scenarios.ts";
import { attemptEnds, explain, runtimeWorld, streamed, TEST_TIMEOUT } from "./world.ts";

defineBasicScenarios("opencode", { retries500: false });

void test("opencode via viable: usage reported after every step is counted once against the budget", TEST_TIMEOUT, async (t) => {
  // OpenCode's step_finish carries the session's running totals: 15 tokens, then 30. Counted as
  // increments they would make 45 and cross a 40-token budget that the run stays within.
  const w = await runtimeWorld(t, {
    clis: ["opencode"],
    config: { budgets: { attempt: { tokens: 40 } } },
    script: [
      { reply: { toolCalls: [{ tool: "write_file", args: { path: "step.txt", content: "1\n" } }], usage: { inputTokens: 10, outputTokens: 5 } } },
      { reply: { text: "Done in two steps.", usage: { inputTokens: 10, outputTokens: 5 } } },
    ],
  });
  const { result, cycle } = await w.run();
  const events = await w.events();
  assert.equal(result.code, 0, explain(result, events));
  assert.equal(cycle.s1_results[0]?.output, "Done in two steps.");
  assert.deepEqual(streamed(events, "usage").map((e) => (e["usage"] as { inputTokens: number }).inputTokens), [10, 20]);
  assert.deepEqual(attemptEnds(events)[0]?.["usage"], { inputTokens: 20, outputTokens: 10, cachedInputTokens: 0 });
  w.server.assertScriptConsumed();
});
