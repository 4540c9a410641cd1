// Agent files as Claude Code users write them (fixtures/real/README.md says where each is from).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parseAgentFile } from "../../src/agents/agent-file.ts";
import { quoteMisreadValues, readFrontMatter } from "../../src/agents/front-matter.ts";
import { AgentRegistry } from "../../src/agents/registry.ts";
import { agentRunOptions, agentRuntimeWarnings } from "../../src/agents/runtime-options.ts";
import type { AgentDefinition } from "../../src/domain/agent.ts";
import { isUserError } from "../../src/domain/errors.ts";
import type { RuntimeName } from "../../src/domain/runtime.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { makeProject } from "../support/project.ts";

const real = (name: string) => readFileSync(new URL(`./fixtures/real/${name}`, import.meta.url), "utf8");
const FILE = path.join("/p", ".claude", "agents", "x.md");
const parse = (text: string, runtime: RuntimeName = "claude", file = FILE): AgentDefinition => parseAgentFile(file, text, ".claude/agents", runtime);

void describe("front matter Claude Code accepts", () => {
  void it("a one-line description with ': ' in it, not valid YAML, loads as Claude Code reads it", () => {
    const a = parse(real("article-reviewer.md"));
    assert.equal(a.name, "article-reviewer");
    assert.match(a.description, /^Use this agent when you need to review .* Examples: <example>Context: User has a draft article/);
    assert.equal(a.model, "sonnet");
    assert.deepEqual(a.extra, { color: "purple" });
    assert.match(a.prompt, /^You are an expert content editor/);
    assert.deepEqual(a.warnings, ["front matter is not valid YAML; read as Claude Code reads it, with description taken as text (quote it to make the file plain YAML)"]);
  });

  void it("tools as a comma string, model: inherit (the runtime's own model)", () => {
    const a = parse(real("test-runner.md"));
    assert.deepEqual(a.tools, ["Bash", "Read", "Edit", "Grep", "Glob"]);
    assert.equal(a.model, undefined);
    assert.equal(a.warnings, undefined);
  });

  void it("tools as a YAML list, a quoted description over several lines", () => {
    const a = parse(real("concise-test-runner.md"));
    assert.deepEqual(a.tools, ["Bash", "Read"]);
    assert.equal(a.description, "Run tests and report results concisely. Use when tests need to be run and results reported without cluttering the main context with verbose test output.");
  });

  void it("a name with a space and an emoji, a flow-list of tools, a full model id", () => {
    const a = parse(real("reviewer.md"));
    assert.equal(a.name, "Code Reviewer 👀");
    assert.deepEqual(a.tools, ["read", "write", "grep", "glob"]);
    assert.equal(a.model, "claude-3-5-sonnet-20241022");
  });

  void it("literal \\n in a description become new lines; inline # comments after values are not part of them", () => {
    const a = parse(real("agent-template.md"));
    assert.match(a.description, /^Use this agent when \[specific use case\]\. Examples:\n\n<example>\nContext: /);
    assert.deepEqual(a.tools, ["Read", "Write"]);
    assert.equal(a.model, "haiku");
    assert.deepEqual(a.extra, { color: "blue" });
  });

  void it("CRLF line endings, tools: [] for none, and '*' for all", () => {
    const crlf = real("test-runner.md").replace(/\n/g, "\r\n");
    const a = parse(crlf);
    assert.deepEqual(a.tools, ["Bash", "Read", "Edit", "Grep", "Glob"]);
    assert.equal(a.prompt.includes("\r"), false);
    assert.deepEqual(parse("---\nname: quiet\ntools: []\n---\nx\n").tools, []);
    assert.equal(parse("---\nname: all\ntools: Read, *\n---\nx\n").tools, undefined);
    assert.deepEqual(parse("---\nname: b\ntools: Read, Bash(git add:*), Edit\n---\nx\n").tools, ["Read", "Bash(git add:*)", "Edit"]);
  });

  void it("an empty front matter, and a name from the file name", () => {
    const a = parse("---\n---\nHello\n", "claude", path.join("/p", ".claude", "agents", "helper.md"));
    assert.deepEqual([a.name, a.description, a.prompt], ["helper", "", "Hello"]);
  });

  void it("the second parse quotes only what YAML misreads", () => {
    const { text, keys } = quoteMisreadValues('name: a\ndescription: Use when: x\ntools: [Read, Grep]\nbody: |\n  text\nq: "done: yes"');
    assert.deepEqual(keys, ["description"]);
    assert.equal(text, 'name: a\ndescription: "Use when: x"\ntools: [Read, Grep]\nbody: |\n  text\nq: "done: yes"');
    assert.deepEqual(readFrontMatter("no front matter"), { kind: "missing" });
  });

  void it("a key given twice beside a description with ': ' is reported as the key given twice, with that fix", () => {
    // As in 1215-Labs/claude-code-templates' n8n-mcp-tester.md: `color` twice, colons unquoted.
    const text = "---\nname: n8n-mcp-tester\ndescription: Use this agent to test n8n-mcp functionality. Example: testing tools\ncolor: cyan\nmodel: sonnet\ncolor: green\n---\nYou test.\n";
    assert.throws(() => parse(text), (e: unknown) =>
      isUserError(e) && e.field === "front matter line 6" && /Map keys must be unique/.test(e.message) && e.fix === "keep one of the two lines that give this key");
  });
});

void describe("fields mean what they mean to Claude Code", () => {
  void it("maxTurns and disallowedTools are read; a bad maxTurns is a warning, as in Claude Code", () => {
    const a = parse("---\nname: a\nmaxTurns: 12\ndisallowedTools: Bash, WebFetch\n---\nx\n");
    assert.equal(a.maxTurns, 12);
    assert.deepEqual(a.disallowedTools, ["Bash", "WebFetch"]);
    assert.equal(parse("---\nname: a\nmaxTurns: \"7\"\n---\nx\n").maxTurns, 7);
    const bad = parse("---\nname: a\nmaxTurns: lots\n---\nx\n");
    assert.equal(bad.maxTurns, undefined);
    assert.deepEqual(bad.warnings, ['maxTurns "lots" is not a positive whole number; no turn limit is set']);
  });

  void it("unknown keys are kept; one that looks like a typo of a known key is warned about", () => {
    const a = parse("---\nname: a\nruntime: command\ncommand: ./a.sh\ntimout: 30\ncomand: x\npermissionMode: acceptEdits\nmy_team: core\n---\nx\n");
    assert.deepEqual(a.extra, { timout: 30, comand: "x", permissionMode: "acceptEdits", my_team: "core" });
    assert.deepEqual(a.warnings, [
      '"timout" is not a field Viable or Claude Code knows; did you mean "timeout"? (kept, but it does nothing)',
      '"comand" is not a field Viable or Claude Code knows; did you mean "command"? (kept, but it does nothing)',
    ]);
    assert.match(parse("---\nname: a\nmaxturns: 3\n---\nx\n").warnings?.[0] ?? "", /did you mean "maxTurns"/);
  });

  void it("on claude: model, tools, disallowedTools and maxTurns go to the run", () => {
    const a = parse("---\nname: a\nmodel: opus\ntools: Read, Grep\ndisallowedTools: Bash\nmaxTurns: 5\n---\nx\n");
    assert.deepEqual(agentRunOptions(a), { model: "opus", tools: ["Read", "Grep"], disallowedTools: ["Bash"], maxTurns: 5 });
    assert.deepEqual(agentRuntimeWarnings(a), []);
  });

  void it("on the other CLIs: the nearest equivalent, else a one-line warning", () => {
    const text = "---\nname: a\nruntime: RT\nmodel: sonnet\ntools: Read\nmaxTurns: 5\n---\nx\n";
    const qwen = parse(text.replace("RT", "qwen"));
    assert.deepEqual(agentRunOptions(qwen), { tools: ["Read"], maxTurns: 5 });
    assert.deepEqual(qwen.warnings, [
      'model "sonnet" is a Claude Code model; qwen runs its configured model instead',
      "tools name Claude Code's tools; qwen has its own and no per-run list, so it is not applied",
    ]);
    const codex = parse(text.replace("RT", "codex").replace("model: sonnet", "model: gpt-5"));
    assert.equal(agentRunOptions(codex).model, "gpt-5");
    assert.deepEqual(codex.warnings, [
      "tools name Claude Code's tools; codex has its own and no per-run list, so it is not applied",
      "codex has no per-run turn limit; maxTurns is not applied (timeout still is)",
    ]);
  });

  void it("Viable's own fields are still checked strictly, each error at its field", () => {
    assert.throws(() => parse("---\nname: a\nruntime: nope\n---\n"), (e: unknown) => isUserError(e) && e.field === "runtime" && e.file === ".claude/agents/x.md");
    assert.throws(() => parse("---\nname: a\nfallback: codex, gpt\n---\n"), (e: unknown) => isUserError(e) && e.field === "fallback");
    assert.throws(() => parse("---\nname: -a\n---\n"), (e: unknown) => isUserError(e) && e.field === "name" && /must not start with "-"/.test(e.message));
    assert.throws(() => parse("---\nname: team:a\n---\n"), (e: unknown) => isUserError(e) && /must not contain ":"/.test(e.message));
  });
});

void describe("the registry, as Claude Code reads a project's agents", () => {
  void it("reads subdirectories; one broken file does not disable the others", (t) => {
    const p = makeProject({
      ".claude/agents/agent-os/atom-writer.md": real("atom-writer.md"),
      ".claude/agents/article-reviewer.md": real("article-reviewer.md"),
      ".claude/agents/broken.md": "---\nname: broken\nruntime: gpt-cli\n---\nx\n",
    });
    t.after(() => p.cleanup());
    const reg = AgentRegistry.load(projectPaths(p.dir), "claude");
    assert.equal(reg.require("atom-writer").tools?.join(","), "Write,Read,Bash,WebFetch");
    assert.equal(reg.require("article-reviewer").source, ".claude/agents");
    assert.deepEqual(reg.broken().map((b) => [b.name, b.error.field]), [["broken", "runtime"]]);
    assert.match(reg.brokenReasons().get("broken") ?? "", /\.claude\/agents\/broken\.md \(runtime\): unknown runtime "gpt-cli"/);
    assert.ok(reg.warnings().some((w) => /agent "article-reviewer": front matter is not valid YAML/.test(w.message)));
  });

  void it("two files defining one name: the precedence decides, with a warning", (t) => {
    const p = makeProject({
      ".claude/agents/a-copy.md": "---\nname: tester\ndescription: copy\n---\nx\n",
      ".claude/agents/tester.md": "---\nname: tester\ndescription: the one\n---\nx\n",
      ".viable/agents/reviewer.md": "---\nname: reviewer\nruntime: command\ncommand: ./r.sh\n---\nx\n",
      ".claude/agents/reviewer.md": "---\nname: reviewer\n---\nx\n",
    });
    t.after(() => p.cleanup());
    const reg = AgentRegistry.load(projectPaths(p.dir), "command");
    assert.equal(reg.require("tester").description, "the one");
    assert.equal(reg.require("reviewer").source, ".viable/agents");
    const notes = reg.warnings().map((w) => w.message);
    assert.ok(notes.includes('agent "tester" is defined in both .claude/agents/a-copy.md and .claude/agents/tester.md; .claude/agents/tester.md is used, .claude/agents/a-copy.md is ignored'), notes.join("\n"));
    assert.ok(notes.includes('.viable/agents/reviewer.md overrides .claude/agents/reviewer.md for agent "reviewer"'), notes.join("\n"));
  });

  void it("a broken override still claims its name: the agent it replaces does not run in its place", (t) => {
    const p = makeProject({ ".viable/agents/tester.md": "---\nname: tester\ntimeout: -1\n---\nx\n" });
    t.after(() => p.cleanup());
    const reg = AgentRegistry.load(projectPaths(p.dir), "command");
    assert.throws(() => reg.require("tester"), (e: unknown) => isUserError(e) && e.field === "timeout");
    assert.equal(reg.has("tester"), false);
    assert.deepEqual(reg.broken().map((b) => b.name), ["tester"]);
    assert.ok(reg.warnings().some((w) => w.message === 'agent "tester" cannot run until .viable/agents/tester.md is fixed (it replaces the built-in)'));
    // A good definition in a later source fixes it.
    p.write(".viable/agents/tester.md", "---\nname: tester\nruntime: command\ncommand: ./t.sh\n---\nx\n");
    p.write(".claude/agents/tester.md", "---\nname: tester\nruntime: nope\n---\nx\n");
    const fixed = AgentRegistry.load(projectPaths(p.dir), "command");
    assert.equal(fixed.require("tester").command, "./t.sh");
    assert.deepEqual(fixed.broken(), []);
  });
});
