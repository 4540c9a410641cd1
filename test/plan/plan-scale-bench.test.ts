import assert from "node:assert/strict";
import { it } from "node:test";
import { main } from "../../bench/plan-scale.ts";

// The benchmark itself at a small size, so that it keeps working between real runs.
void it("the plan-scale benchmark generates, measures in a fresh process and reports", async () => {
  const result = await main({ items: 2_000, runs: 1, print: false });
  assert.equal(result.bench, "plan-scale");
  assert.equal(result.items, 2_000);
  assert.ok(result.edges > 2_000, `edges ${result.edges}`);
  assert.ok(result.totalMs > 0 && result.jsonParseMs > 0);
  const sum = result.importMs + result.validateMs + result.schedulerMs + result.drainMs;
  assert.ok(Math.abs(result.totalMs - sum) < 0.5, `${result.totalMs} vs ${sum}`);
  assert.ok(result.peakRssMiB >= result.baselineRssMiB);
});
