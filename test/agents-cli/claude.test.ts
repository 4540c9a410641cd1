// Claude Code end to end: the real binary against the scripted Anthropic Messages server.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { text, writeFile } from "../support/model-server/script.ts";
import { defineCommonScenarios, ofType } from "../support/agent-clis/common-scenarios.ts";
import { describeRun, runScenario } from "../support/agent-clis/scenario.ts";

// Claude's last api_retry line carries the delay it chose from retry-after.
defineCommonScenarios("claude", { reportsRetryAfter: true });

void test("claude: a denied permission ends as needs_input, not success", { timeout: 120_000 }, async (t) => {
  // Without bypass a headless run cannot ask: Claude records the denial, tells the model, and the
  // run still ends with exit 0 and subtype "success".
  const r = await runScenario(t, "claude", [writeFile("denied.txt", "x\n"), text("I could not write the file.")], { autoApprove: false });
  assert.equal(r.exitCode, 0);
  assert.equal(r.outcome.status, "needs_input", describeRun(r));
  assert.match(r.outcome.error ?? "", /permission denied for Write/);
  assert.equal(existsSync(path.join(r.scratch.repo, "denied.txt")), false);
  assert.deepEqual(ofType(r.events, "tool_result").map((e) => e.ok), [false]);
  r.server.assertScriptConsumed();
});

void test("claude: cost is reported by the CLI", { timeout: 120_000 }, async (t) => {
  const r = await runScenario(t, "claude", [text("Nothing to do.")]);
  assert.equal(r.outcome.status, "succeeded", describeRun(r));
  assert.equal(typeof r.outcome.costUsd, "number");
  assert.ok((r.outcome.costUsd ?? 0) > 0);
});

void test("claude: an agent's tools are the only tools the CLI offers, even in bypass mode", { timeout: 120_000 }, async (t) => {
  const r = await runScenario(t, "claude", [text("Read-only, as asked.")], { tools: ["Read", "Grep", "Bash(git status)"], disallowedTools: ["Grep"], maxTurns: 3 });
  assert.equal(r.outcome.status, "succeeded", describeRun(r));
  const init = r.stdout.map((l) => JSON.parse(l) as { type?: string; subtype?: string; tools?: string[] }).find((e) => e.type === "system" && e.subtype === "init");
  assert.deepEqual([...(init?.tools ?? [])].sort(), ["Bash", "Read"]);
  r.server.assertScriptConsumed();
});
