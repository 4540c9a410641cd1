// The variables an agent CLI's own configuration names, read from its files the way the CLI reads
// them: what a working setup of the CLI needs Viable to pass through.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { configuredEnv } from "../../src/agents/configured-env.ts";

function scratch(t: { after: (fn: () => void) => void }): { home: string; repo: string; write: (file: string, text: string) => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "viable-cfgenv-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const home = path.join(root, "home");
  const repo = path.join(root, "repo");
  fs.mkdirSync(path.join(repo, ".git"), { recursive: true });
  fs.mkdirSync(path.join(repo, "pkg", "sub"), { recursive: true });
  return {
    home, repo,
    write: (file, text) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    },
  };
}

void test("codex: each provider's env_key and env_http_headers from $CODEX_HOME/config.toml; AWS variables for an aws provider", (t) => {
  const s = scratch(t);
  const codexHome = path.join(s.home, "codex-home");
  s.write(path.join(codexHome, "config.toml"), `model = "gpt-5"
model_provider = "openrouter"

[model_providers.openrouter]
name = "OpenRouter"
base_url = "https://openrouter.ai/api/v1"
env_key = "OPENROUTER_API_KEY"
env_http_headers = { "X-Org" = "MY_ORG_ID" }

[model_providers.bedrock]
name = "Bedrock"
aws = { profile = "dev" }

[model_providers.broken]
env_key = "not a variable name"
`);
  const names = configuredEnv("codex", { HOME: s.home, CODEX_HOME: codexHome }, s.repo);
  assert.deepEqual(names.filter((n) => typeof n === "string"), ["OPENROUTER_API_KEY", "MY_ORG_ID"]);
  assert.ok(names.some((n) => n instanceof RegExp && n.test("AWS_ACCESS_KEY_ID")));
  // ~/.codex when CODEX_HOME is not set; nothing at all without a config, or with one that is not TOML.
  assert.deepEqual(configuredEnv("codex", { HOME: s.home }, s.repo), []);
  s.write(path.join(s.home, ".codex", "config.toml"), "[model_providers.x\nenv_key = ");
  assert.deepEqual(configuredEnv("codex", { HOME: s.home }, s.repo), []);
});

void test("opencode: every {env:NAME} in the configs it merges — global, OPENCODE_CONFIG, the content variable, the project's up to the repository root", (t) => {
  const s = scratch(t);
  s.write(path.join(s.home, ".config", "opencode", "opencode.json"), `{"provider": {"groq": {"options": {"apiKey": "{env:GROQ_KEY}"}}}}`);
  s.write(path.join(s.repo, "opencode.jsonc"), `{
  // the team's gateway
  "provider": { "gw": { "options": { "baseURL": "{env:GW_URL}", "apiKey": "{env:GW_KEY}" } } }
}`);
  s.write(path.join(s.repo, "pkg", ".opencode", "opencode.json"), `{"provider": {"x": {"options": {"apiKey": "{env:PKG_KEY}"}}}}`);
  const extra = path.join(s.home, "extra.json");
  s.write(extra, `{"provider": {"y": {"options": {"apiKey": "{env:EXTRA_KEY}"}}}}`);
  const names = configuredEnv("opencode", { HOME: s.home, OPENCODE_CONFIG: extra, OPENCODE_CONFIG_CONTENT: `{"a": "{env:INLINE_KEY}"}` }, path.join(s.repo, "pkg", "sub"));
  assert.deepEqual([...names].sort(), ["EXTRA_KEY", "GROQ_KEY", "GW_KEY", "GW_URL", "INLINE_KEY", "PKG_KEY"]);
});

void test("qwen: modelProviders[].envKey from the user's and the project's settings.json", (t) => {
  const s = scratch(t);
  s.write(path.join(s.home, ".qwen", "settings.json"), `{ "modelProviders": { "openai": [ { "id": "qwen3-coder", "envKey": "MY_QWEN_KEY", "baseUrl": "https://x" } ] } }`);
  s.write(path.join(s.repo, ".qwen", "settings.json"), `{ "modelProviders": { "anthropic": [ { "envKey": "TEAM_ANTHROPIC_KEY" } ] } }`);
  assert.deepEqual(configuredEnv("qwen", { HOME: s.home }, s.repo).sort(), ["MY_QWEN_KEY", "TEAM_ANTHROPIC_KEY"]);
});

void test("claude and gemini apply their own env files: nothing to add", (t) => {
  const s = scratch(t);
  assert.deepEqual(configuredEnv("claude", { HOME: s.home }, s.repo), []);
  assert.deepEqual(configuredEnv("gemini", { HOME: s.home }, s.repo), []);
});
