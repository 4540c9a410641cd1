// Variables an agent CLI's own configuration points at. A working setup often names its provider's
// key in the CLI's config rather than using the CLI's default variable — Codex's
// `[model_providers.x] env_key = "OPENROUTER_API_KEY"`, OpenCode's `"apiKey": "{env:GROQ_KEY}"`,
// Qwen's `modelProviders[].envKey` — and Viable's environment allowlist would drop exactly those
// names (Codex then fails at once with "Missing environment variable"; OpenCode silently sends no
// key). So the names are read from the same files, the way each CLI reads them, and passed through
// like the CLI's own. Files that are missing or unreadable add nothing: the CLI will say what is
// wrong with them itself.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import type { CliRuntimeName } from "./cli-protocols.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names (or patterns) of variables the CLI's configuration refers to, for a run in `cwd`. */
export function configuredEnv(cli: CliRuntimeName, env: NodeJS.ProcessEnv, cwd: string): (string | RegExp)[] {
  switch (cli) {
    case "codex":
      return codexEnv(env);
    case "opencode":
      return opencodeEnv(env, cwd);
    case "qwen":
      return qwenEnv(env, cwd);
    case "claude":
    case "gemini":
      // Claude's settings `env` block and Gemini's `.env` files are applied by the CLIs themselves.
      return [];
  }
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME ?? os.homedir();
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * `$CODEX_HOME/config.toml` (default ~/.codex): each provider's `env_key`, the variables of its
 * `env_http_headers`, and the AWS variables for a provider that signs with AWS credentials.
 */
function codexEnv(env: NodeJS.ProcessEnv): (string | RegExp)[] {
  const text = readText(path.join(env.CODEX_HOME ?? path.join(home(env), ".codex"), "config.toml"));
  if (text === undefined) return [];
  let config: unknown;
  try {
    config = parseToml(text);
  } catch {
    return [];
  }
  const out: (string | RegExp)[] = [];
  const providers = isRecord(config) && isRecord(config["model_providers"]) ? config["model_providers"] : {};
  for (const provider of Object.values(providers)) {
    if (!isRecord(provider)) continue;
    if (typeof provider["env_key"] === "string" && NAME.test(provider["env_key"])) out.push(provider["env_key"]);
    if (isRecord(provider["env_http_headers"])) {
      for (const v of Object.values(provider["env_http_headers"])) if (typeof v === "string" && NAME.test(v)) out.push(v);
    }
    if (provider["aws"] !== undefined) out.push(/^AWS_/);
  }
  return out;
}

/**
 * OpenCode substitutes `{env:NAME}` in its config text before parsing it: every such reference in
 * the files it merges — the global config, OPENCODE_CONFIG, OPENCODE_CONFIG_CONTENT, and the
 * project's `opencode.json(c)` and `.opencode/` from the workspace up to the repository's root.
 */
function opencodeEnv(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const texts: (string | undefined)[] = [];
  const global = path.join(env.XDG_CONFIG_HOME ?? path.join(home(env), ".config"), "opencode");
  for (const name of ["config.json", "opencode.json", "opencode.jsonc"]) texts.push(readText(path.join(global, name)));
  if (env.OPENCODE_CONFIG) texts.push(readText(env.OPENCODE_CONFIG));
  texts.push(env.OPENCODE_CONFIG_CONTENT);
  for (const dir of upToRepositoryRoot(cwd)) {
    for (const name of ["opencode.json", "opencode.jsonc", ".opencode/opencode.json", ".opencode/opencode.jsonc"]) texts.push(readText(path.join(dir, name)));
  }
  const names = new Set<string>();
  for (const text of texts) {
    if (text === undefined) continue;
    for (const m of text.matchAll(/\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
  }
  return [...names];
}

/** Qwen's settings (`~/.qwen/settings.json`, then the project's `.qwen/settings.json`): `modelProviders.<type>[].envKey`. */
function qwenEnv(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const files = [path.join(env.QWEN_HOME ?? path.join(home(env), ".qwen"), "settings.json"), ...upToRepositoryRoot(cwd).map((d) => path.join(d, ".qwen", "settings.json"))];
  const names = new Set<string>();
  for (const file of files) {
    const text = readText(file);
    if (text === undefined) continue;
    // Qwen's settings allow comments; the key is found in the text as Qwen's own loader keeps it.
    for (const m of text.matchAll(/"envKey"\s*:\s*"([A-Za-z_][A-Za-z0-9_]*)"/g)) names.add(m[1]!);
  }
  return [...names];
}

/** `dir` and its parents up to the git work tree's root (the directory holding `.git`), inclusive. */
function upToRepositoryRoot(dir: string): string[] {
  const dirs: string[] = [];
  let d = path.resolve(dir);
  for (let i = 0; i < 64; i++) {
    dirs.push(d);
    if (fs.existsSync(path.join(d, ".git"))) break;
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  return dirs;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
