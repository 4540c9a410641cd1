// The runtime half of each protocol: the argv and environment a real run gets. The end-to-end
// tests run these exact argv against the real CLIs; here the options that change them are pinned.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CLI_PROTOCOLS as AGENT_PROTOCOLS } from "../../src/agents/cli-protocols.ts";

const base = { prompt: "-starts with a dash", autoApprove: true };

void test("claude: stream-json needs --verbose; the prompt follows --; bypass as root needs IS_SANDBOX", () => {
  const { args, env } = AGENT_PROTOCOLS.claude;
  assert.deepEqual(args({ ...base, model: "m", maxTurns: 3, resumeSessionId: "s-1", systemPrompt: "be brief" }), [
    "-p", "--output-format", "stream-json", "--verbose", "--model", "m", "--append-system-prompt", "be brief",
    "--resume", "s-1", "--max-turns", "3", "--permission-mode", "bypassPermissions", "--", "-starts with a dash",
  ]);
  assert.ok(!args({ ...base, autoApprove: false }).includes("--permission-mode"));
  assert.equal(env({ autoApprove: true, isRoot: true })["IS_SANDBOX"], "1");
  assert.equal(env({ autoApprove: true, isRoot: false })["IS_SANDBOX"], undefined);
  assert.equal(env({ autoApprove: false, isRoot: true })["IS_SANDBOX"], undefined);
  assert.equal(env({ autoApprove: false, isRoot: false })["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"], "1");
});

void test("codex: exec --json, or exec resume --json <id>; sandbox follows autoApprove; phoning home off", () => {
  const { args } = AGENT_PROTOCOLS.codex;
  const fresh = args({ ...base, model: "gpt-5.5" });
  assert.deepEqual(fresh.slice(0, 3), ["exec", "--json", "--skip-git-repo-check"]);
  assert.deepEqual(fresh.slice(-2), ["--", "-starts with a dash"]);
  assert.ok(fresh.includes(`sandbox_mode="danger-full-access"`));
  assert.ok(fresh.includes("analytics.enabled=false") && fresh.includes("features.plugins=false"));
  assert.ok(args({ ...base, autoApprove: false }).includes(`sandbox_mode="workspace-write"`));
  const resumed = args({ ...base, resumeSessionId: "t-9", systemPrompt: "be brief" });
  assert.deepEqual(resumed.slice(0, 3), ["exec", "resume", "--json"]);
  assert.deepEqual(resumed.slice(-3), ["t-9", "--", "be brief\n\n---\n\n-starts with a dash"]);
});

void test("gemini: --prompt= keeps a dashed prompt whole; no relaunch, so signals reach the turn", () => {
  const { args, env } = AGENT_PROTOCOLS.gemini;
  assert.deepEqual(args({ ...base, model: "gemini-2.5-pro", resumeSessionId: "g-1" }), [
    "--prompt=-starts with a dash", "--output-format", "stream-json", "-m", "gemini-2.5-pro", "--resume", "g-1", "--approval-mode", "yolo",
  ]);
  assert.ok(args({ ...base, autoApprove: false }).includes("default"));
  assert.equal(env({ autoApprove: true, isRoot: true })["GEMINI_CLI_NO_RELAUNCH"], "true");
});

void test("opencode: run --format json, --auto only when approved, --session to continue", () => {
  const { args, env } = AGENT_PROTOCOLS.opencode;
  assert.deepEqual(args({ ...base, model: "p/m", resumeSessionId: "ses_1" }), ["run", "--format", "json", "-m", "p/m", "--session", "ses_1", "--auto", "--", "-starts with a dash"]);
  assert.ok(!args({ ...base, autoApprove: false }).includes("--auto"));
  assert.equal(env({ autoApprove: true, isRoot: true })["OPENCODE_DISABLE_MODELS_FETCH"], "true");
});

void test("qwen: stream-json with the approval mode spelled out", () => {
  const { args } = AGENT_PROTOCOLS.qwen;
  assert.deepEqual(args({ ...base, model: "q", maxTurns: 4, systemPrompt: "be brief" }), [
    "--prompt=-starts with a dash", "--output-format", "stream-json", "-m", "q", "--append-system-prompt", "be brief", "--max-session-turns", "4", "--approval-mode", "yolo",
  ]);
});

void test("every protocol table entry is complete and names its runtime", () => {
  for (const [name, p] of Object.entries(AGENT_PROTOCOLS)) {
    assert.equal(p.name, name);
    assert.ok(p.passthrough.length > 0, name);
    assert.equal(typeof p.parser({}).classify, "function");
  }
});

void test("claude: an agent's tools, disallowedTools and maxTurns, as Claude Code means them", () => {
  const { args } = AGENT_PROTOCOLS.claude;
  const argv = args({ ...base, tools: ["Read", "Grep", "Bash(git diff:*)", "mcp__github__get_issue"], disallowedTools: ["WebFetch"], maxTurns: 8 });
  const after = (flag: string) => argv[argv.indexOf(flag) + 1];
  // --tools: the built-ins that exist at all (holds in bypass mode too); --allowedTools: run without asking.
  assert.equal(after("--tools"), "Read,Grep,Bash");
  assert.equal(after("--allowedTools"), "Read,Grep,Bash(git diff:*),mcp__github__get_issue");
  assert.equal(after("--disallowedTools"), "WebFetch");
  assert.equal(after("--max-turns"), "8");
  assert.deepEqual(argv.slice(-2), ["--", "-starts with a dash"]);
  // tools: [] means none; no tools field means every tool (no flag at all).
  const none = args({ ...base, tools: [] });
  assert.equal(none[none.indexOf("--tools") + 1], "");
  assert.equal(none.includes("--allowedTools"), false);
  assert.equal(args(base).includes("--tools"), false);
});
