// What `viable attach` starts for a person, per runtime: the CLI's own interactive resume of the
// agent's session, with the agent's model, in the environment Viable gives that CLI — without the
// headless-only settings (NO_COLOR) and without overriding the TERM of the tmux pane.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { interactiveSession, resumeHint } from "../../src/agents/interactive-session.ts";
import { defaultConfig } from "../../src/config/config.ts";

function fakeBins(t: { after: (fn: () => void) => void }): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "viable-bins-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bins: Record<string, string> = {};
  for (const name of ["claude", "codex", "gemini", "qwen", "opencode"]) {
    bins[name] = path.join(dir, name);
    fs.writeFileSync(bins[name], "#!/bin/sh\n", { mode: 0o755 });
  }
  return bins;
}

void test("each CLI resumes the agent's session by its own flags, with the agent's model", (t) => {
  const bins = fakeBins(t);
  const config = defaultConfig();
  for (const [name, bin] of Object.entries(bins)) (config.runtimes as Record<string, unknown>)[name] = { bin };
  const args = (runtime: "claude" | "codex" | "gemini" | "qwen" | "opencode") => interactiveSession(config, runtime, { session: "s-1", model: "m-1", cwd: os.tmpdir() })!;
  assert.deepEqual(args("claude").args, ["--resume", "s-1", "--model", "m-1"]);
  assert.deepEqual(args("codex").args, ["resume", "s-1", "-m", "m-1"]);
  assert.deepEqual(args("gemini").args, ["--resume", "s-1", "-m", "m-1"]);
  assert.deepEqual(args("qwen").args, ["--resume", "s-1", "-m", "m-1"]);
  assert.deepEqual(args("opencode").args, ["--session", "s-1", "-m", "m-1"]);
  assert.equal(args("claude").file, bins.claude);
  assert.equal(args("claude").resumes, true);
  // No session to resume: the CLI starts fresh, and says so.
  const fresh = interactiveSession(config, "claude", { session: null, model: null, cwd: os.tmpdir() })!;
  assert.deepEqual([fresh.args, fresh.resumes], [[], false]);
  assert.equal(resumeHint("codex", "s-1"), "codex resume s-1");
});

void test("the environment: the CLI's credentials pass, NO_COLOR and TERM do not, unrelated secrets stay out", (t) => {
  const bins = fakeBins(t);
  const config = defaultConfig();
  config.runtimes.claude = { ...config.runtimes.claude, bin: bins.claude! } as typeof config.runtimes.claude;
  const saved = { ...process.env };
  t.after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  Object.assign(process.env, { ANTHROPIC_API_KEY: "sk-test", GITHUB_TOKEN: "ghp-not-for-agents", TERM: "xterm-outer", LANG: "C.UTF-8" });
  const s = interactiveSession(config, "claude", { session: "s", model: null, cwd: os.tmpdir() })!;
  assert.equal(s.env.ANTHROPIC_API_KEY, "sk-test");
  assert.equal(s.env.LANG, "C.UTF-8");
  assert.equal(s.env.GITHUB_TOKEN, undefined);
  assert.equal(s.env.NO_COLOR, undefined);
  assert.equal(s.env.TERM, undefined, "the tmux pane's own TERM stays");
  // A command agent has no session: the person gets their shell.
  const shell = interactiveSession(config, "command", { session: null, model: null, cwd: os.tmpdir() })!;
  assert.equal(shell.resumes, false);
});
