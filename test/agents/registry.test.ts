import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentRegistry } from "../../src/agents/registry.ts";
import { isUserError } from "../../src/domain/errors.ts";
import { projectPaths } from "../../src/workspace/paths.ts";
import { json, viable } from "../support/cli.ts";
import { makeProject } from "../support/project.ts";

void test("built-ins are seed 001's registry; .viable/agents overrides .claude/agents overrides built-ins", (t) => {
  const p = makeProject({
    ".claude/agents/tester.md": "---\nname: tester\ndescription: from claude\ntools: Read, Grep, Bash\nmodel: sonnet\n---\nClaude tester prompt.\n",
    ".claude/agents/reviewer.md": "---\nname: reviewer\ndescription: claude reviewer\n---\nReview.\n",
    ".viable/agents/reviewer.md": "---\nname: reviewer\ndescription: viable reviewer\nruntime: command\ncommand: ./review.sh\ntimeout: 30\n---\nReview with a script.\n",
  });
  t.after(() => p.cleanup());
  const reg = AgentRegistry.load(projectPaths(p.dir), "codex");
  assert.deepEqual(reg.names(), ["backend", "code-writer", "database", "documenter", "frontend", "generalist-coder", "infrastructure", "reviewer", "tester"]);
  const tester = reg.require("tester");
  assert.equal(tester.source, ".claude/agents");
  assert.equal(tester.runtime, "claude", ".claude/agents files default to the claude runtime");
  assert.deepEqual(tester.tools, ["Read", "Grep", "Bash"]);
  assert.equal(tester.prompt, "Claude tester prompt.");
  const reviewer = reg.require("reviewer");
  assert.equal(reviewer.source, ".viable/agents");
  assert.equal(reviewer.command, "./review.sh");
  assert.equal(reviewer.timeout, 30);
  assert.equal(reg.require("backend").runtime, "codex", "built-ins use the configured default runtime");
  assert.equal(reg.require("backend").kind, "domain");
});

const badFiles: [string, string, RegExp][] = [
  ["bad YAML", "---\nname: broken\n- a list item in a mapping\n---\nx\n", /\(front matter line 3\): is not valid YAML/],
  ["unknown runtime", "---\nname: broken\nruntime: gpt-cli\n---\nx\n", /\(runtime\): unknown runtime "gpt-cli"[\s\S]*fix: use one of: command, claude/],
  ["command runtime without command", "---\nname: broken\nruntime: command\n---\nx\n", /\(command\): the command runtime needs a `command`/],
  ["no front matter", "just text\n", /has no front matter/],
  ["bad timeout", "---\nname: broken\ntimeout: -5\n---\nx\n", /\(timeout\)/],
];

for (const [what, text, message] of badFiles) {
  void test(`a malformed agent file (${what}) is kept as broken, naming the file and the field; the others load`, (t) => {
    const p = makeProject({ ".viable/agents/broken.md": text, ".viable/agents/fine.md": "---\nname: fine\nruntime: command\ncommand: \"true\"\n---\nok\n" });
    t.after(() => p.cleanup());
    const reg = AgentRegistry.load(projectPaths(p.dir), "command");
    assert.equal(reg.require("fine").command, "true");
    assert.ok(reg.has("tester"), "the built-ins still load");
    const [broken] = reg.broken();
    assert.equal(broken?.name, "broken");
    assert.equal(broken?.error.reason, "bad_agent_file");
    assert.match(broken?.error.message ?? "", /\.viable\/agents\/broken\.md/);
    assert.match(broken?.error.message ?? "", message);
    // Only what needs the agent fails, and it says why.
    assert.throws(() => reg.require("broken"), (e: unknown) => isUserError(e) && e.reason === "bad_agent_file" && message.test(e.message));
    assert.equal(reg.names().includes("broken"), false);
  });
}

void test("`viable agents --json` lists definitions with their source; a broken file is listed with its reason and exits 2", async (t) => {
  const p = makeProject();
  t.after(() => p.cleanup());
  p.agent("tester", "true", { timeout: 5 });
  const ok = await viable(["agents", "-d", p.dir, "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  const agents = json<{ name: string; source: string; file: string | null; runtime: string }[]>(ok);
  const tester = agents.find((a) => a.name === "tester");
  assert.deepEqual([tester?.source, tester?.file, tester?.runtime], [".viable/agents", ".viable/agents/tester.md", "command"]);

  p.write(".viable/agents/bad.md", "---\nname: bad\nruntime: nope\n---\n");
  const bad = await viable(["agents", "-d", p.dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.md \(runtime\): unknown runtime "nope"/);
  // The others are still listed, and the broken one with its reason.
  assert.match(bad.stdout, /^tester\s+command/m);
  assert.match(bad.stdout, /^bad\s+broken\s.*\.viable\/agents\/bad\.md.*unknown runtime "nope"/m);
  // With --json too: the good ones as before, the broken one with the error a script can act on.
  const badJson = await viable(["agents", "-d", p.dir, "--json"]);
  assert.equal(badJson.code, 2);
  const listed = json<{ name: string; runtime?: string; file: string; broken?: { reason: string; field: string; message: string; fix: string } }[]>(badJson);
  assert.equal(listed.find((a) => a.name === "tester")?.runtime, "command");
  const broken = listed.find((a) => a.name === "bad");
  assert.equal(broken?.file, ".viable/agents/bad.md");
  assert.equal(broken?.broken?.field, "runtime");
  assert.match(broken?.broken?.message ?? "", /^unknown runtime "nope"/);
  assert.ok(broken?.broken?.fix, JSON.stringify(broken));
});
