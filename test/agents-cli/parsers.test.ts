// The stream parsers on transcripts recorded from the real CLIs (test/agents-cli/fixtures/<cli>/,
// recorded against the scripted server with the scratch directory renamed /scratch), and on the
// edge cases a recording cannot show: garbage lines, a stream cut short, a cancel racing success.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { createClaudeParser } from "../../src/agents/protocols/claude.ts";
import { createCodexParser } from "../../src/agents/protocols/codex.ts";
import { trimSummary, type ExitFacts, type ProtocolParser } from "../../src/agents/protocols/common.ts";
import { createGeminiParser } from "../../src/agents/protocols/gemini.ts";
import { createOpencodeParser } from "../../src/agents/protocols/opencode.ts";
import { createQwenParser } from "../../src/agents/protocols/qwen.ts";
import type { AgentEvent, AttemptOutcome } from "../../src/domain/outcome.ts";

type Cli = "claude" | "codex" | "gemini" | "opencode" | "qwen";
const FIXTURES = path.join(import.meta.dirname, "fixtures");
const PARSERS: Record<Cli, () => ProtocolParser> = {
  claude: () => createClaudeParser({ cwd: "/scratch/repo" }),
  codex: () => createCodexParser({ cwd: "/scratch/repo" }),
  gemini: () => createGeminiParser({ cwd: "/scratch/repo" }),
  opencode: () => createOpencodeParser({ cwd: "/scratch/repo" }),
  qwen: () => createQwenParser({ cwd: "/scratch/repo" }),
};

function replay(cli: Cli, name: string): { events: AgentEvent[]; outcome: AttemptOutcome } {
  const lines = readFileSync(path.join(FIXTURES, cli, `${name}.jsonl`), "utf8").split("\n");
  const exit = JSON.parse(readFileSync(path.join(FIXTURES, cli, `${name}.exit.json`), "utf8")) as ExitFacts;
  return feed(PARSERS[cli](), lines, exit);
}

function feed(parser: ProtocolParser, lines: string[], exit: ExitFacts): { events: AgentEvent[]; outcome: AttemptOutcome } {
  const events = lines.flatMap((l) => parser.push(l));
  events.push(...parser.end());
  return { events, outcome: parser.classify(exit) };
}

const exited = (exitCode: number): ExitFacts => ({ exitCode, signal: null, termination: "exited" });

interface Expected {
  status: AttemptOutcome["status"];
  retryable: boolean;
  retryAfterMs?: number;
  summary?: string | RegExp;
  error?: RegExp;
  changedFiles?: string[];
  session: boolean;
}

const CASES: Array<[Cli, string, Expected]> = [
  ["claude", "write", { status: "succeeded", retryable: false, summary: "Done: wrote hello.txt", changedFiles: ["hello.txt"], session: true }],
  ["claude", "shell", { status: "succeeded", retryable: false, summary: "Ran it.", session: true }],
  ["claude", "e401", { status: "failed", retryable: false, summary: /Invalid API key/, session: true }],
  ["claude", "e500", { status: "failed", retryable: true, summary: /API Error: 500/, session: true }],
  ["claude", "e429r", { status: "rate_limited", retryable: true, retryAfterMs: 1086, session: true }],
  ["claude", "deny", { status: "needs_input", retryable: false, summary: "Could not write.", error: /^permission denied for Write: .*hello\.txt; rerun with permission to use it$/, session: true }],
  ["claude", "cancel", { status: "cancelled", retryable: false, session: true }],
  ["codex", "write", { status: "succeeded", retryable: false, summary: "Done: wrote hello.txt", changedFiles: ["hello.txt"], session: true }],
  ["codex", "shell", { status: "succeeded", retryable: false, summary: "Ran it.", session: true }],
  ["codex", "e401", { status: "failed", retryable: false, summary: /401 Unauthorized/, session: true }],
  ["codex", "e500", { status: "failed", retryable: true, summary: /high demand/, session: true }],
  ["codex", "e429", { status: "rate_limited", retryable: true, summary: /429 Too Many Requests/, session: true }],
  ["codex", "cancel", { status: "cancelled", retryable: false, session: true }],
  ["gemini", "write", { status: "succeeded", retryable: false, summary: "Done: wrote hello.txt", changedFiles: ["hello.txt"], session: true }],
  ["gemini", "shell", { status: "succeeded", retryable: false, summary: "Ran it.", session: true }],
  ["gemini", "e401", { status: "failed", retryable: false, summary: /401/, session: true }],
  ["gemini", "e500", { status: "failed", retryable: true, summary: /500/, session: true }],
  ["gemini", "e429", { status: "rate_limited", retryable: true, session: true }],
  ["gemini", "cancel", { status: "cancelled", retryable: false, session: true }],
  ["opencode", "write", { status: "succeeded", retryable: false, summary: "Done: wrote hello.txt", changedFiles: ["hello.txt"], session: true }],
  ["opencode", "shell", { status: "succeeded", retryable: false, summary: "Ran it.", session: true }],
  ["opencode", "e401", { status: "failed", retryable: false, summary: "invalid x-api-key", session: true }],
  ["opencode", "e500all", { status: "failed", retryable: true, summary: "boom", session: true }],
  ["opencode", "e429all", { status: "rate_limited", retryable: true, retryAfterMs: 1000, session: true }],
  // OpenCode printed nothing before it was interrupted: no session id to report.
  ["opencode", "cancel", { status: "cancelled", retryable: false, session: false }],
  ["qwen", "write", { status: "succeeded", retryable: false, summary: "Done: wrote hello.txt", changedFiles: ["hello.txt"], session: true }],
  ["qwen", "shell", { status: "succeeded", retryable: false, summary: "Ran it.", session: true }],
  ["qwen", "e401", { status: "failed", retryable: false, summary: /401 invalid x-api-key/, session: true }],
  ["qwen", "e500all", { status: "failed", retryable: true, summary: /500 boom/, session: true }],
  ["qwen", "e429all", { status: "rate_limited", retryable: true, session: true }],
  ["qwen", "cancel", { status: "cancelled", retryable: false, session: true }],
];

for (const [cli, name, expected] of CASES) {
  void test(`${cli} transcript ${name} → ${expected.status}`, () => {
    const { events, outcome } = replay(cli, name);
    assert.equal(outcome.status, expected.status, JSON.stringify(outcome));
    assert.equal(outcome.retryable, expected.retryable);
    assert.equal(outcome.retryAfterMs, expected.retryAfterMs);
    if (typeof expected.summary === "string") assert.equal(outcome.summary, expected.summary);
    else if (expected.summary) assert.match(outcome.summary, expected.summary);
    if (expected.error) assert.match(outcome.error ?? "", expected.error);
    assert.deepEqual(outcome.changedFiles, expected.changedFiles);
    assert.equal(typeof outcome.sessionId === "string" && outcome.sessionId.length > 0, expected.session);
    if (outcome.status !== "succeeded") assert.ok(outcome.error, "a run that did not succeed says why");
    assert.equal(events.filter((e) => e.type === "stderr").length, 0, "recorded stdout is all protocol");
  });
}

void test("successful transcripts normalize into calls, results, file changes and usage", () => {
  const { events, outcome } = replay("claude", "write");
  assert.deepEqual(
    events.filter((e) => e.type !== "usage").map((e) => e.type),
    ["message", "tool_call", "tool_result", "file_change", "message"],
  );
  const call = events.find((e) => e.type === "tool_call");
  assert.deepEqual(call?.type === "tool_call" ? [call.name, call.input] : undefined, ["Write", { file_path: "/scratch/repo/hello.txt", content: "hi\n" }]);
  assert.deepEqual(events.find((e) => e.type === "file_change"), { type: "file_change", path: "hello.txt", kind: "add" });
  assert.deepEqual(outcome.usage, { inputTokens: 20, outputTokens: 10, cachedInputTokens: 0 });
  assert.equal(outcome.costUsd, 0.00021);

  for (const cli of ["codex", "gemini", "opencode", "qwen"] as const) {
    const r = replay(cli, "write");
    assert.deepEqual(r.outcome.usage, { inputTokens: 20, outputTokens: 10, cachedInputTokens: 0 }, cli);
    // Only Claude prices its own usage; the others' cost comes from the price table elsewhere.
    assert.equal(r.outcome.costUsd, undefined, cli);
    assert.deepEqual(
      r.events.filter((e) => e.type === "file_change").map((e) => (e.type === "file_change" ? e.path : "")),
      ["hello.txt"],
      cli,
    );
  }
});

void test("claude's retries become retry events", () => {
  const { events } = replay("claude", "e429r");
  assert.deepEqual(
    events.filter((e) => e.type === "retry"),
    [{ type: "retry", attempt: 1, delayMs: 1086, reason: "HTTP 429: rate_limit" }],
  );
});

const GARBAGE = ["this is not json", "{\"type\":", "[1,2,3]", "42", "{\"type\":\"from-a-future-version\",\"x\":1}", "\u001b[31mred\u001b[0m"];

for (const cli of Object.keys(PARSERS) as Cli[]) {
  void test(`${cli}: garbage lines become diagnostics, never a crash, and do not change the outcome`, () => {
    const clean = readFileSync(path.join(FIXTURES, cli, "write.jsonl"), "utf8").split("\n");
    const mixed = clean.flatMap((line, i) => (i % 2 === 0 ? [GARBAGE[i % GARBAGE.length] ?? "", line] : [line]));
    const { events, outcome } = feed(PARSERS[cli](), mixed, exited(0));
    assert.equal(outcome.status, "succeeded");
    const diagnostics = events.filter((e) => e.type === "stderr").map((e) => (e.type === "stderr" ? e.text : ""));
    assert.ok(diagnostics.includes("this is not json"), JSON.stringify(diagnostics));
    assert.ok(diagnostics.includes("[1,2,3]"));
    // Unknown event types are tolerated silently: new CLI versions add kinds all the time.
    assert.ok(!diagnostics.some((d) => d.includes("from-a-future-version")));
  });

  void test(`${cli}: a stream with no result is a failure that says so`, () => {
    const parser = PARSERS[cli]();
    parser.pushStderr("fatal: something broke");
    const { outcome } = feed(parser, ["not json either"], exited(0));
    assert.equal(outcome.status, "failed");
    assert.equal(outcome.retryable, false);
    assert.match(outcome.error ?? "", /ended without a result \(exit code 0\): fatal: something broke/);
  });
}

void test("claude: is_error overrides subtype success; max turns fails; 529 is retryable", () => {
  const result = (fields: Record<string, unknown>): string => JSON.stringify({ type: "result", subtype: "success", is_error: false, permission_denials: [], ...fields });
  const at = (line: string): AttemptOutcome => feed(createClaudeParser(), [line], exited(1)).outcome;
  assert.deepEqual(pick(at(result({ is_error: true, result: "Something went wrong" }))), { status: "failed", retryable: false });
  assert.deepEqual(pick(at(result({ subtype: "error_max_turns", is_error: true }))), { status: "failed", retryable: false });
  assert.match(at(result({ subtype: "error_max_turns", is_error: true })).error ?? "", /turn limit/);
  assert.deepEqual(pick(at(result({ is_error: true, api_error_status: 529, result: "Overloaded" }))), { status: "failed", retryable: true });
  assert.deepEqual(pick(at(result({ is_error: true, api_error_status: 403, result: "Forbidden" }))), { status: "failed", retryable: false });
});

void test("a success the protocol reported stands even if a cancel or timeout raced the exit", () => {
  const lines = readFileSync(path.join(FIXTURES, "claude", "write.jsonl"), "utf8").split("\n");
  assert.equal(feed(createClaudeParser(), lines, { exitCode: null, signal: "SIGINT", termination: "cancelled" }).outcome.status, "succeeded");
  assert.equal(feed(createClaudeParser(), lines.slice(0, 3), { exitCode: null, signal: "SIGKILL", termination: "timed_out" }).outcome.status, "timed_out");
});

void test("gemini without a result line: the exit code is the HTTP status modulo 256", () => {
  const at = (code: number): AttemptOutcome => feed(createGeminiParser(), [], exited(code)).outcome;
  assert.deepEqual(pick(at(145)), { status: "failed", retryable: false });
  assert.deepEqual(pick(at(244)), { status: "failed", retryable: true });
  assert.deepEqual(pick(at(173)), { status: "rate_limited", retryable: true });
  assert.deepEqual(pick(at(1)), { status: "failed", retryable: false });
});

void test("codex: warnings arrive as error items in a healthy run and do not fail it", () => {
  const lines = [
    JSON.stringify({ type: "thread.started", thread_id: "t-1" }),
    JSON.stringify({ type: "item.completed", item: { id: "item_0", type: "error", message: "Model metadata for `x` not found." } }),
    JSON.stringify({ type: "item.completed", item: { id: "item_1", type: "agent_message", text: "ok" } }),
    JSON.stringify({ type: "turn.completed", usage: { input_tokens: 3, cached_input_tokens: 1, output_tokens: 2 } }),
  ];
  const { events, outcome } = feed(createCodexParser(), lines, exited(0));
  assert.equal(outcome.status, "succeeded");
  assert.deepEqual(outcome.usage, { inputTokens: 3, outputTokens: 2, cachedInputTokens: 1 });
  assert.deepEqual(events[0], { type: "message", role: "system", text: "Model metadata for `x` not found." });
});

void test("opencode: a run that stopped after tool calls without a final step is not a success", () => {
  const lines = readFileSync(path.join(FIXTURES, "opencode", "write.jsonl"), "utf8").split("\n").slice(0, 4);
  const { outcome } = feed(createOpencodeParser(), lines, exited(0));
  assert.equal(outcome.status, "failed");
});

void test("summaries are one line of at most 300 characters", () => {
  const long = `${"word ".repeat(100)}\n\nend`;
  const s = trimSummary(long);
  assert.equal(s.length, 300);
  assert.ok(!s.includes("\n"));
  assert.ok(s.endsWith("…"));
  assert.equal(trimSummary("  short\n text "), "short text");
});

function pick(o: AttemptOutcome): { status: string; retryable: boolean } {
  return { status: o.status, retryable: o.retryable };
}

// Lines as the CLIs print them when the provider refuses a request for good (observed with claude
// 2.1.330 and codex 0.169.0 against a server answering 401): the CLI announces a retry it will make
// for minutes; the parser says at once that the run cannot succeed.
void test("claude: an api_retry of a 401 makes the run fatal at once: authentication, not retryable; a 429 or 500 retry does not", () => {
  const parser = createClaudeParser();
  parser.push(JSON.stringify({ type: "system", subtype: "init", session_id: "s-1", model: "m" }));
  parser.push(JSON.stringify({ type: "system", subtype: "api_retry", attempt: 1, max_retries: 10, retry_delay_ms: 600, error_status: 429, error: "rate_limit", session_id: "s-1" }));
  parser.push(JSON.stringify({ type: "system", subtype: "api_retry", attempt: 2, max_retries: 10, retry_delay_ms: 900, error_status: 500, error: "server_error", session_id: "s-1" }));
  const fatal = () => parser.fatal;
  assert.equal(fatal(), undefined);
  const events = parser.push(JSON.stringify({ type: "system", subtype: "api_retry", attempt: 3, max_retries: 10, retry_delay_ms: 1216, error_status: 401, error: "authentication_failed", session_id: "s-1" }));
  assert.deepEqual(events.map((e) => e.type), ["retry"]);
  assert.deepEqual(fatal()?.failure, { kind: "authentication", status: 401 });
  // Stopped by the runtime: the outcome is the refusal, not a cancel.
  const outcome = parser.classify({ exitCode: null, signal: "SIGINT", termination: "cancelled" });
  assert.equal(outcome.status, "failed");
  assert.equal(outcome.retryable, false);
  assert.deepEqual(outcome.failure, { kind: "authentication", status: 401 });
  assert.match(outcome.error ?? "", /the provider refused the credentials \(HTTP 401: authentication_failed\); claude would keep retrying/);
});

void test("codex: a stream retry of an unexpected 401 or 404 is fatal; a retry of a 500 is not", () => {
  const line = (message: string) => JSON.stringify({ type: "error", message });
  const p500 = createCodexParser();
  p500.push(line("Reconnecting... 1/5 (We're currently experiencing high demand, which may cause temporary errors.)"));
  assert.equal(p500.fatal, undefined);
  const p401 = createCodexParser();
  p401.push(line("Reconnecting... 1/5 (unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:1/v1/responses)"));
  assert.deepEqual(p401.fatal?.failure, { kind: "authentication", status: 401 });
  const p404 = createCodexParser();
  p404.push(line("Reconnecting... 1/5 (unexpected status 404 Not Found: model not found, url: http://127.0.0.1:1/v1/responses)"));
  assert.deepEqual(p404.fatal?.failure, { kind: "configuration", status: 404 });
});

// Usage limits as each CLI reports them, recorded against the scripted server answering with the
// provider's own usage-limit response (429 with Anthropic's unified-limit headers to a subscription
// login, OpenAI's usage_limit_reached, Google's quota with a RetryInfo of an hour, a quota message
// that says when it resets).
void test("usage limits: claude's api_error with its reset, codex's words and local time, gemini's stderr class, qwen's Quota exhausted", () => {
  const claude = replay("claude", "usage-limit");
  assert.equal(claude.outcome.status, "rate_limited");
  assert.equal(claude.outcome.retryable, false);
  assert.deepEqual(claude.outcome.failure, { kind: "usage_limit", resetsAt: new Date(1796318097 * 1000).toISOString() });
  assert.match(claude.outcome.error ?? "", /You've hit your weekly limit/);

  // Codex says when in the machine's local time, today: "try again at 6:16 PM."
  const codex = replay("codex", "usage-limit");
  assert.equal(codex.outcome.failure?.kind, "usage_limit");
  const at = new Date((codex.outcome.failure as { resetsAt: string }).resetsAt);
  assert.deepEqual([at.getHours(), at.getMinutes()], [18, 16]);
  assert.ok(at.getTime() > Date.now() - 60_000 && at.getTime() < Date.now() + 86_400_000, at.toISOString());

  const gemini = PARSERS.gemini();
  const lines = readFileSync(path.join(FIXTURES, "gemini", "usage-limit.jsonl"), "utf8").split("\n");
  for (const l of readFileSync(path.join(FIXTURES, "gemini", "usage-limit.stderr"), "utf8").split("\n")) gemini.pushStderr(l);
  const before = Date.now();
  const g = feed(gemini, lines, exited(173));
  assert.equal(g.outcome.failure?.kind, "usage_limit");
  const gAt = Date.parse((g.outcome.failure as { resetsAt: string }).resetsAt);
  assert.ok(gAt >= before + 3_600_000 && gAt <= Date.now() + 3_600_000, "Suggested retry after 3600s");

  const qwen = replay("qwen", "usage-limit");
  assert.deepEqual(qwen.outcome.failure, { kind: "usage_limit", resetsAt: "2026-11-30T19:00:00.000Z" });
});

void test("not a usage limit: a quota error opencode retried is a rate limit with its hint; a plain codex 429 is too", () => {
  const opencode = replay("opencode", "quota-429");
  assert.equal(opencode.outcome.status, "rate_limited");
  assert.equal(opencode.outcome.failure, undefined);
  assert.equal(opencode.outcome.retryAfterMs, 1000);
  const codex = feed(PARSERS.codex(), ['{"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}'], exited(1));
  assert.equal(codex.outcome.status, "rate_limited");
  assert.equal(codex.outcome.failure, undefined);
});
