// The real Claude Code CLI, given the `.mcp.json` that `viable mcp install` wrote and driven by the
// scripted model server, calls Viable's `status` tool; what the tool answered is what reaches the
// model.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { viable } from "../support/cli.ts";
import { prepare } from "../support/agent-clis/environments.ts";
import { runCli } from "../support/agent-clis/launch.ts";
import { describeRun, installedCli } from "../support/agent-clis/scenario.ts";
import { createScratch } from "../support/agent-clis/scratch.ts";
import { startModelServer } from "../support/model-server/server.ts";
import { text } from "../support/model-server/script.ts";

void test("claude calls mcp__viable__status through the config `viable mcp install` wrote, and the model gets the plan's counts", { timeout: 180_000 }, async (t) => {
  const installed = await installedCli("claude");
  const scratch = await createScratch("claude-mcp");
  t.after(() => scratch.remove());
  const repo = scratch.repo;
  fs.writeFileSync(path.join(repo, "feature_list.json"), JSON.stringify({ features: [{ id: "a", name: "A", description: "first" }, { id: "b", name: "B", description: "second", dependencies: ["a"] }] }));
  assert.equal((await viable(["plan", "import", path.join(repo, "feature_list.json"), "-d", repo])).code, 0);
  const install = await viable(["mcp", "install", "--claude", "-d", repo]);
  assert.equal(install.code, 0, install.stderr);

  const server = await startModelServer({
    script: [{ reply: { text: "Let me look.", toolCalls: [{ tool: "raw", name: "mcp__viable__status", input: {} }] } }, text("Two items are pending.")],
    cwd: repo,
  });
  t.after(() => server.close());
  const launch = await prepare.claude(installed, scratch, server, { prompt: "How is the plan doing?" });
  const separator = launch.args.indexOf("--");
  launch.args.splice(separator, 0, "--mcp-config", path.join(repo, ".mcp.json"), "--strict-mcp-config", "--allowedTools", "mcp__viable__status");
  const run = await runCli(launch, { timeoutMs: 120_000 });
  assert.equal(run.outcome.status, "succeeded", describeRun(run));
  server.assertScriptConsumed();

  // The CLI connected to the server the file names and lists its tools (it offers MCP tools to the
  // model through its tool search, so they need not be in the first request).
  const init = run.stdout.map((l) => JSON.parse(l) as { type?: string; subtype?: string; tools?: string[]; mcp_servers?: { name: string; status: string }[] }).find((e) => e.type === "system" && e.subtype === "init")!;
  assert.deepEqual(init.mcp_servers?.map((x) => [x.name, x.status]), [["viable", "connected"]]);
  assert.deepEqual(init.tools!.filter((n) => n.startsWith("mcp__viable__")).sort(),
    ["mcp__viable__answer", "mcp__viable__item", "mcp__viable__items", "mcp__viable__job", "mcp__viable__start", "mcp__viable__status", "mcp__viable__stop"]);
  const turns = server.turns();
  const last = (turns[1]!.body as { messages: { role: string; content: { type: string; content?: unknown; is_error?: boolean }[] }[] }).messages.at(-1)!;
  const result = last.content.find((c) => c.type === "tool_result")!;
  assert.notEqual(result.is_error, true, JSON.stringify(result));
  const answered = JSON.stringify(result.content);
  assert.match(answered, /\\"pending\\":2/, answered);
  assert.match(answered, /\\"total\\":2/);
});
