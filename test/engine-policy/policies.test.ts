import assert from "node:assert/strict";
import { test } from "node:test";
import { BudgetTracker } from "../../src/engine/attempt/budget.ts";
import { CircuitBreaker } from "../../src/engine/attempt/circuit-breaker.ts";
import { costOf } from "../../src/engine/attempt/pricing.ts";
import { DEFAULT_RETRY, retryDelayMs, shouldRetry } from "../../src/engine/attempt/retry-policy.ts";
import type { AttemptOutcome } from "../../src/domain/outcome.ts";

const outcome = (o: Partial<AttemptOutcome>): AttemptOutcome => ({
  status: "failed", summary: "", exitCode: 1, signal: null, usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
  retryable: false, durationMs: 1, outputTruncated: false, ...o,
});

void test("retries only what can succeed later, with exponential backoff or the provider's hint", () => {
  const s = { max: 3, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(shouldRetry(outcome({ retryable: true }), 0, s), true, "5xx");
  assert.equal(shouldRetry(outcome({ status: "rate_limited" }), 0, s), true, "rate limit");
  assert.equal(shouldRetry(outcome({ retryable: false }), 0, s), false, "401 / task failure");
  assert.equal(shouldRetry(outcome({ status: "needs_input", retryable: true }), 0, s), false, "permission denial");
  assert.equal(shouldRetry(outcome({ status: "cancelled", retryable: true }), 0, s), false);
  assert.equal(shouldRetry(outcome({ retryable: true }), 3, s), false, "retries exhausted");
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => retryDelayMs(outcome({ retryable: true }), n, s)), [100, 200, 400, 800, 1000]);
  assert.equal(retryDelayMs(outcome({ status: "rate_limited", retryAfterMs: 750 }), 0, s), 750, "the hint wins");
  assert.equal(retryDelayMs(outcome({ status: "rate_limited", retryAfterMs: 3_600_000 }), 0, s), 1000, "a bogus hint is capped");
  assert.equal(DEFAULT_RETRY.max, 2);
});

void test("the circuit breaker opens after N failures, half-opens after the reset, closes after M successes", () => {
  let now = 0;
  const b = new CircuitBreaker({ failures: 3, successes: 2, resetMs: 1000 }, () => now);
  b.recordFailure();
  b.recordFailure();
  b.recordSuccess();
  b.recordFailure();
  b.recordFailure();
  assert.equal(b.state, "closed", "a success in between resets the count");
  b.recordFailure();
  assert.equal(b.state, "open");
  assert.equal(b.allows(), false);
  assert.equal(b.retryInMs(), 1000);
  now = 999;
  assert.equal(b.allows(), false);
  now = 1000;
  assert.equal(b.state, "half_open");
  b.recordFailure();
  assert.equal(b.state, "open", "a failed trial reopens it");
  now = 2000;
  b.recordSuccess();
  assert.equal(b.state, "half_open");
  b.recordSuccess();
  assert.equal(b.state, "closed");
});

void test("budgets stop at the first limit crossed: attempt, task or run", () => {
  let now = 0;
  const t = new BudgetTracker({ attempt: { tokens: 100 }, task: { usd: 1 }, run: { seconds: 60 } }, () => now);
  const a1 = t.attempt({ taskId: "t1" });
  assert.equal(a1.add({ usage: { inputTokens: 50, outputTokens: 40, cachedInputTokens: 0 } }), undefined);
  assert.match(a1.add({ usage: { inputTokens: 5, outputTokens: 5, cachedInputTokens: 0 } })?.message ?? "", /attempt budget exceeded: 100 tokens used of 100/);
  const a2 = t.attempt({ taskId: "t1" });
  assert.match(a2.add({ costUsd: 1.5 })?.message ?? "", /task budget exceeded: \$1\.5000 spent of \$1/);
  assert.equal(t.blocking({ taskId: "t1" })?.scope, "task");
  assert.equal(t.blocking({ taskId: "t2" }), undefined);
  now = 61_000;
  assert.match(t.blocking({ taskId: "t2" })?.message ?? "", /run budget exceeded: 61 s of 60 s/);
  assert.deepEqual(t.spent(), { usd: 1.5, tokens: 100 });
});

void test("an item budget covers all of the item's attempts, and only that item", () => {
  const t = new BudgetTracker({ item: { tokens: 100 } });
  const a = t.attempt({ taskId: "run", itemId: "a" });
  assert.equal(a.add({ usage: { inputTokens: 60, outputTokens: 0, cachedInputTokens: 0 } }), undefined);
  const again = t.attempt({ taskId: "run", itemId: "a" });
  const over = again.add({ usage: { inputTokens: 40, outputTokens: 0, cachedInputTokens: 0 } });
  assert.equal(over?.scope, "item");
  assert.match(over?.message ?? "", /item budget exceeded: 100 tokens used of 100/);
  assert.equal(t.blocking({ taskId: "run", itemId: "a" })?.scope, "item");
  assert.equal(t.blocking({ taskId: "run", itemId: "b" }), undefined, "another item has its own budget");
  assert.deepEqual(t.spent({ taskId: "run", itemId: "a" }), { usd: 0, tokens: 100 });
});

void test("cost from the price table, by exact model or prefix; unknown models have no cost", () => {
  const prices = { "claude-sonnet": { input: 3, output: 15, cached_input: 0.3 } };
  const usage = { inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 500_000 };
  assert.equal(costOf(usage, "claude-sonnet-4-5", prices), 0.5 * 3 + 0.5 * 0.3 + 0.1 * 15);
  assert.equal(costOf(usage, "gpt-5", prices), undefined);
  assert.equal(costOf(usage, undefined, prices), undefined);
});
