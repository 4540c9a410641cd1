// `viable init` as a person uses it: with --yes in a fresh repository (what it detects, what it
// writes, and that Viable reads what it wrote), again (nothing changes), over a config someone
// edited (shown, kept, replaced only when asked, their other settings kept), with Claude Code agent
// files already there (adopted), with MCP presets (other servers kept), on bad input (named with
// the fix) — and the wizard at a real terminal, answered key by key, and cancelled with Ctrl-C.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { viable } from "../support/cli.ts";
import { makeProject, type TestProject } from "../support/project.ts";
import { viableInTerminal } from "../support/terminal.ts";

/** A project with an npm test script, and a fake codex on PATH with a key: one CLI ready. */
function project(t: { after: (fn: () => void) => void }): { p: TestProject; env: Record<string, string> } {
  const p = makeProject({ "package.json": JSON.stringify({ name: "shop", scripts: { test: "node --test" } }, null, 2) });
  p.commitAll("start");
  t.after(() => p.cleanup());
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "viable-init-bin-"));
  t.after(() => fs.rmSync(bin, { recursive: true, force: true }));
  fs.writeFileSync(path.join(bin, "codex"), "#!/bin/sh\necho 'codex-cli 0.169.0'\n", { mode: 0o755 });
  return { p, env: { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`, OPENAI_API_KEY: "sk-test" } };
}

const json = (p: TestProject, rel: string) => JSON.parse(p.read(rel)) as Record<string, unknown>;

void test("init --yes: the detected test command, the ready CLI, starter agents Viable loads, .viable/state excluded; again: nothing changes", async (t) => {
  const { p, env } = project(t);
  const dry = await viable(["init", "--yes", "--dry-run", "--json", "-d", p.dir], { env });
  assert.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as { dry_run: boolean; choices: { runtime: string; verify: string[] }; files: { path: string; status: string }[] };
  assert.deepEqual([planned.dry_run, planned.choices.runtime, planned.choices.verify], [true, "codex", ["npm run test"]]);
  assert.equal(planned.files.length, 10);
  assert.ok(planned.files.every((f) => f.status === "create"));
  assert.equal(fs.existsSync(path.join(p.dir, ".viable")), false, "a dry run writes nothing");

  const r = await viable(["init", "--yes", "-d", p.dir], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /tests: npm run test \(from package\.json scripts\.test\)/);
  assert.match(r.stderr, /✓ codex — codex-cli 0\.169\.0, auth: environment: OPENAI_API_KEY/);
  assert.match(r.stderr, /· claude — not installed \(npm install -g @anthropic-ai\/claude-code\)/);
  assert.deepEqual(json(p, ".viable/config.json"), { version: 1, verify: ["npm run test"], defaults: { runtime: "codex" } });
  assert.match(r.stdout, /created .*\.viable\/config\.json/);
  assert.match(r.stdout, /excluded \.viable\/state\/ from git/);
  assert.match(fs.readFileSync(path.join(p.dir, ".git", "info", "exclude"), "utf8"), /^\/\.viable\/state\/$/m);
  // The starter agents are files Viable reads as it reads any agent file.
  const agents = JSON.parse((await viable(["agents", "--json", "-d", p.dir], { env })).stdout) as { name: string; source: string; runtime: string; broken?: unknown }[];
  const fromFiles = agents.filter((a) => a.source.includes(".viable/agents"));
  assert.equal(fromFiles.length, 9, JSON.stringify(agents));
  assert.ok(fromFiles.every((a) => a.runtime === "codex" && a.broken === undefined), JSON.stringify(fromFiles));

  const again = await viable(["init", "--yes", "-d", p.dir], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /created|replaced/);
  assert.match(again.stdout, /unchanged .*\.viable\/config\.json/);
  assert.doesNotMatch(again.stdout, /excluded/);
});

void test("init over an edited config: the change is shown and the file kept; --overwrite replaces it and keeps what init does not choose", async (t) => {
  const { p, env } = project(t);
  p.config({ version: 1, approval: "approve", defaults: { runtime: "claude", timeout: 600 }, runtimes: { claude: { model: "opus" } } });
  const before = p.read(".viable/config.json");
  const kept = await viable(["init", "--yes", "--runtime", "codex", "--model", "gpt-5", "--budget-usd", "5", "--no-agents", "-d", p.dir], { env });
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stderr, /-\s+"runtime": "claude",[\s\S]*\+\s+"runtime": "codex"/);
  assert.match(kept.stderr, /would change .*config\.json: kept as it is/);
  assert.match(kept.stderr, /rerun with --overwrite/);
  assert.equal(p.read(".viable/config.json"), before, "kept byte for byte");

  const replaced = await viable(["init", "--yes", "--overwrite", "--runtime", "codex", "--model", "gpt-5", "--budget-usd", "5", "--no-agents", "-d", p.dir], { env });
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(json(p, ".viable/config.json"), {
    // No `verify` before: still none, the test command is detected at run time.
    version: 1, approval: "approve", defaults: { runtime: "codex", timeout: 600 },
    runtimes: { claude: { model: "opus" }, codex: { model: "gpt-5" } }, budgets: { run: { usd: 5 } },
  });
  assert.equal(fs.existsSync(path.join(p.dir, ".viable", "agents")), false, "--no-agents");

  // Another runtime without --model: claude's model is claude's, not given to the new runtime.
  const switched = await viable(["init", "--yes", "--overwrite", "--runtime", "gemini", "-d", p.dir], { env });
  assert.equal(switched.code, 0, switched.stderr);
  const config = json(p, ".viable/config.json") as { defaults: { runtime: string }; runtimes: Record<string, unknown> };
  assert.equal(config.defaults.runtime, "gemini");
  assert.deepEqual(config.runtimes, { claude: { model: "opus" }, codex: { model: "gpt-5" } });
  // Formatting is the person's: the same settings in another layout are not a change.
  fs.writeFileSync(path.join(p.dir, ".viable", "config.json"), JSON.stringify(JSON.parse(p.read(".viable/config.json"))));
  const same = await viable(["init", "--yes", "--runtime", "gemini", "-d", p.dir], { env });
  assert.match(same.stdout, /unchanged \.viable\/config\.json/);
});

void test("init adopts .claude/agents as they are, and adds MCP presets to .mcp.json beside the servers there", async (t) => {
  const { p, env } = project(t);
  p.write(".claude/agents/reviewer.md", "---\nname: reviewer\ndescription: Reviews\n---\nReview.\n");
  p.write(".mcp.json", JSON.stringify({ mcpServers: { mine: { command: "my-server" } } }));
  const r = await viable(["init", "--yes", "--mcp", "playwright,context7", "-d", p.dir], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /agents: 1 in \.claude\/agents, used as they are \(reviewer\.md\)/);
  const agents = JSON.parse((await viable(["agents", "--json", "-d", p.dir], { env })).stdout) as { name: string; source: string }[];
  assert.ok(agents.some((a) => a.name === "reviewer" && a.source.includes(".claude/agents")), JSON.stringify(agents));
  assert.equal(fs.existsSync(path.join(p.dir, ".viable", "agents")), false, "no starter agents beside the project's own");
  // An existing file is changed only when asked: shown, and kept.
  assert.match(r.stderr, /\+\s+"playwright": \{[\s\S]*would change .*\.mcp\.json: kept as it is/);
  assert.deepEqual(Object.keys((json(p, ".mcp.json") as { mcpServers: object }).mcpServers), ["mine"]);
  const overwritten = await viable(["init", "--yes", "--overwrite", "--mcp", "playwright,context7", "-d", p.dir], { env });
  assert.equal(overwritten.code, 0, overwritten.stderr);
  const mcp = json(p, ".mcp.json") as { mcpServers: Record<string, { command: string; args?: string[] }> };
  assert.deepEqual(Object.keys(mcp.mcpServers), ["mine", "playwright", "context7"]);
  assert.deepEqual(mcp.mcpServers.playwright, { command: "npx", args: ["-y", "@playwright/mcp@latest"] });
  assert.deepEqual(mcp.mcpServers.mine, { command: "my-server" });
});

void test("init on bad input: an unknown preset, a bad budget, a config that is not JSON — each named with the fix, exit 2, nothing written", async (t) => {
  const { p, env } = project(t);
  const preset = await viable(["init", "--yes", "--mcp", "nope", "-d", p.dir], { env });
  assert.equal(preset.code, 2);
  assert.match(preset.stderr, /there is no MCP preset "nope"[\s\S]*pick from: playwright, context7, sequential-thinking/);
  const budget = await viable(["init", "--yes", "--budget-usd", "lots", "-d", p.dir], { env });
  assert.equal(budget.code, 2);
  assert.match(budget.stderr, /"lots" is not a positive number of dollars/);
  assert.equal(fs.existsSync(path.join(p.dir, ".viable", "config.json")), false);
  assert.equal(fs.existsSync(path.join(p.dir, ".mcp.json")), false, "nothing written for an unknown preset");
  const noModel = await viable(["init", "--yes", "--runtime", "command", "--model", "x", "-d", p.dir], { env });
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--model[\s\S]*command agents have no model/);
  // A config Viable would refuse is refused before anything is asked, with its field.
  p.write(".viable/config.json", JSON.stringify({ version: 1, defaults: { runtme: "codex" } }));
  const typo = await viable(["init", "--yes", "-d", p.dir], { env });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /runtme/);
  assert.doesNotMatch(typo.stderr, /tests:/, "refused before the survey is shown");
  p.write(".viable/config.json", "{ not json");
  const broken = await viable(["init", "--yes", "-d", p.dir], { env });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /config\.json: is not valid JSON[\s\S]*fix: fix the JSON syntax/);
  assert.doesNotMatch(broken.stderr, /at .*\.ts:\d+/, "no stack trace");
  assert.equal(p.read(".viable/config.json"), "{ not json");
});

void test("the wizard at a terminal: a person picks the runtime, a budget and a preset; Ctrl-C at a question writes nothing", async (t) => {
  const { p, env } = project(t);
  const cancelled = viableInTerminal(t, ["init", "-d", p.dir], { env });
  await cancelled.waitFor(/Default runtime for agents/, "the first question");
  cancelled.key("C-c");
  assert.equal(await cancelled.exitCode(), 130, cancelled.screen());
  assert.match(cancelled.screen(), /init cancelled; nothing was written/);
  assert.equal(fs.existsSync(path.join(p.dir, ".viable")), false);

  const term = viableInTerminal(t, ["init", "-d", p.dir], { env });
  await term.waitFor(/Default runtime for agents[\s\S]*❯ codex/, "the runtime question, the ready CLI first");
  term.key("Enter");
  await term.waitFor(/Model for codex/, "the model question");
  term.type("gpt-5");
  await term.waitFor(/Verify command\(s\)[\s\S]*npm run test/, "the verify question with the detected command");
  term.key("Enter");
  await term.waitFor(/Budget per run in USD/, "the budget question");
  term.type("7.5");
  await term.waitFor(/Write the built-in agents as files/, "the agents question");
  term.key("Enter");
  await term.waitFor(/MCP servers for the agents/, "the presets");
  term.key("Space");
  await term.waitFor(/◉ playwright/, "playwright checked");
  term.key("Enter");
  assert.equal(await term.exitCode(), 0, term.screen());
  assert.deepEqual(json(p, ".viable/config.json"), { version: 1, verify: ["npm run test"], defaults: { runtime: "codex" }, runtimes: { codex: { model: "gpt-5" } }, budgets: { run: { usd: 7.5 } } });
  assert.deepEqual(Object.keys((json(p, ".mcp.json") as { mcpServers: object }).mcpServers), ["playwright"]);
  assert.equal(fs.readdirSync(path.join(p.dir, ".viable", "agents")).length, 9);
});

void test("init --runtime command: no starter agents (a command agent needs a command of its own)", async (t) => {
  const { p, env } = project(t);
  const r = await viable(["init", "--yes", "--runtime", "command", "-d", p.dir], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(p, ".viable/config.json"), { version: 1, verify: ["npm run test"], defaults: { runtime: "command" } });
  assert.equal(fs.existsSync(path.join(p.dir, ".viable", "agents")), false);
});
