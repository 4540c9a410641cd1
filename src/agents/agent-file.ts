// Reading one agent file: Markdown with YAML front matter — Claude Code's `.claude/agents` format,
// which `.viable/agents` extends with runtime, command, timeout, fallback. A file Claude Code
// accepts loads here, and its fields mean what they mean to Claude Code:
//
// - `name` and `description` (Viable also takes the file name, and no description);
// - `model`: an alias or id for the runtime, `inherit` for the runtime's configured model;
// - `tools` and `disallowedTools`: a comma string, a YAML list or []; `*` means every tool;
// - `maxTurns`: a positive whole number;
// - anything else (color, permissionMode, hooks, skills, ...) is kept as written in `extra`.
//
// Claude Code warns about, and ignores, a bad value of one of its own fields; so does Viable.
// A bad value of one of Viable's fields (runtime, command, timeout, fallback, ...) means the agent
// cannot run as written: that is an error naming the file, the field and the fix. An unknown key
// that looks like a typo of a known one (`timout`, `comand`) is warned about.

import path from "node:path";
import { z } from "zod";
import type { AgentDefinition, AgentSource } from "../domain/agent.ts";
import { UserError } from "../domain/errors.ts";
import { RUNTIME_NAMES, type RuntimeName } from "../domain/runtime.ts";
import { readFrontMatter } from "./front-matter.ts";
import { agentRuntimeWarnings } from "./runtime-options.ts";

/** The fields Viable reads itself. */
const VIABLE_KEYS = ["name", "description", "runtime", "model", "tools", "disallowedTools", "maxTurns", "timeout", "idle_timeout", "command", "fallback", "shadow", "kind", "capabilities"] as const;

/** Claude Code's own front matter keys (agents, commands, skills, plugins): kept, never warned about. */
const CLAUDE_KEYS = [
  "allowed-tools", "argument-hint", "arguments", "disable-model-invocation", "user-invocable", "effort", "shell", "version", "when_to_use", "paths",
  "hooks", "context", "agent", "created_by", "improved_by", "mcpServers", "lspServers", "agents", "outputStyles", "themes", "workflows", "channels",
  "monitors", "settings", "experimental", "commands", "skills", "dependencies", "userConfig", "metadata", "engines", "network", "displayName",
  "defaultEnabled", "evals", "author", "homepage", "repository", "license", "keywords", "compatibility", "color", "permissionMode",
  "autoCompactWindow", "initialPrompt", "memory", "background", "omitClaudeMd", "isolation", "observer", "observerMessage", "observeSubagents",
  "observeToolResults", "keep-coding-instructions", "force-for-plugin", "type", "originSessionId", "hide-from-slash-command-tool",
] as const;

const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([...VIABLE_KEYS, ...CLAUDE_KEYS]);

/** Viable's fields, checked strictly: a bad one means the agent cannot run as written. */
const viableFields = z.object({
  runtime: z.string().optional(),
  timeout: z.number().positive().optional(),
  idle_timeout: z.number().positive().optional(),
  command: z.string().min(1).optional(),
  fallback: z.union([z.string(), z.array(z.string())]).optional(),
  // "codex", "codex:gpt-5.5" (a runtime, and its model), or another agent's name.
  shadow: z.string().min(1).optional(),
  kind: z.enum(["generalist", "functional", "domain", "custom"]).optional(),
  capabilities: z.array(z.string()).optional(),
});

/** Names are file names and process markers here, so a little stricter than Claude Code's rule (not "-" first, no ":"). */
const MAX_NAME = 256;

export function parseAgentFile(file: string, text: string, source: AgentSource, defaultRuntime: RuntimeName): AgentDefinition {
  const rel = displayPath(file);
  const bad = (field: string, message: string, fix: string) => new UserError({ reason: "bad_agent_file", file: rel, field, message, fix });
  const warnings: string[] = [];

  const fm = readFrontMatter(text);
  if ("kind" in fm) {
    switch (fm.kind) {
      case "missing":
        throw bad("front matter", "has no front matter", "start the file with a `---` line, the fields (name, description, ...), and a closing `---` line");
      case "yaml":
        throw bad(fm.line !== undefined ? `front matter line ${fm.line + 1}` : "front matter", `is not valid YAML: ${fm.message}`, fm.duplicateKey === true ? "keep one of the two lines that give this key" : "fix the YAML syntax; quote a value that has ': ' or '#' in it");
      case "not_a_mapping":
        throw bad("front matter", "must be a mapping of fields", "write `name: ...`, `description: ...` lines between the `---` markers");
    }
  }
  const f = fm.fields;
  if (fm.quotedKeys.length > 0) {
    warnings.push(`front matter is not valid YAML; read as Claude Code reads it, with ${fm.quotedKeys.join(", ")} taken as text (quote ${fm.quotedKeys.length === 1 ? "it" : "them"} to make the file plain YAML)`);
  }

  const checked = viableFields.safeParse(f);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw bad(issue?.path.join(".") || "front matter", issue?.message ?? "invalid", "correct the field's value (see README, Agents)");
  }
  const v = checked.data;

  const runtimeText = v.runtime ?? defaultRuntime;
  if (!(RUNTIME_NAMES as readonly string[]).includes(runtimeText)) {
    throw bad("runtime", `unknown runtime "${runtimeText}"`, `use one of: ${RUNTIME_NAMES.join(", ")}`);
  }
  const runtime = runtimeText as RuntimeName;
  if (runtime === "command" && !v.command) {
    throw bad("command", "the command runtime needs a `command`", "add e.g. `command: ./scripts/agent.sh` (run with sh -c in the workspace, prompt on stdin)");
  }

  const name = agentName(f.name, path.basename(file).replace(/\.md$/i, ""), bad);
  const fallback = v.fallback === undefined ? undefined : (Array.isArray(v.fallback) ? v.fallback : v.fallback.split(",")).map((s) => s.trim()).filter(Boolean);
  for (const r of fallback ?? []) {
    if (!(RUNTIME_NAMES as readonly string[]).includes(r)) throw bad("fallback", `unknown runtime "${r}"`, `use runtimes from: ${RUNTIME_NAMES.join(", ")}`);
  }

  const def: AgentDefinition = {
    name,
    description: description(f.description, warnings),
    runtime,
    prompt: fm.body.trim(),
    kind: v.kind ?? "custom",
    capabilities: v.capabilities ?? [],
    source,
    file,
  };
  const model = modelOf(f.model, warnings);
  if (model !== undefined) def.model = model;
  const tools = toolList(f.tools, "tools", warnings);
  if (tools !== undefined) def.tools = tools;
  const disallowed = toolList(f.disallowedTools, "disallowedTools", warnings);
  if (disallowed !== undefined && disallowed.length > 0) def.disallowedTools = disallowed;
  const maxTurns = maxTurnsOf(f.maxTurns, warnings);
  if (maxTurns !== undefined) def.maxTurns = maxTurns;
  if (v.timeout !== undefined) def.timeout = v.timeout;
  if (v.idle_timeout !== undefined) def.idleTimeout = v.idle_timeout;
  if (v.command !== undefined) def.command = v.command;
  if (fallback !== undefined) def.fallback = fallback;
  if (v.shadow !== undefined) {
    const [first, model] = v.shadow.split(":", 2).map((s) => s.trim());
    if (model !== undefined && !(RUNTIME_NAMES as readonly string[]).includes(first!)) throw bad("shadow", `"${v.shadow}": a model goes with a runtime`, `write runtime:model, e.g. codex:gpt-5.5 (runtimes: ${RUNTIME_NAMES.join(", ")})`);
    def.shadow = (RUNTIME_NAMES as readonly string[]).includes(first!) ? { runtime: first as RuntimeName, ...(model ? { model } : {}) } : { agent: first! };
  }

  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(f)) {
    if ((VIABLE_KEYS as readonly string[]).includes(key)) continue;
    extra[key] = value;
    if (KNOWN_KEYS.has(key)) continue;
    const near = nearestKey(key);
    if (near !== undefined) warnings.push(`"${key}" is not a field Viable or Claude Code knows; did you mean "${near}"? (kept, but it does nothing)`);
  }
  if (Object.keys(extra).length > 0) def.extra = extra;
  warnings.push(...agentRuntimeWarnings(def));
  if (warnings.length > 0) def.warnings = warnings;
  return def;
}

/** The file as the user knows it, from the project root: `.claude/agents/x.md`. */
function displayPath(file: string): string {
  const parts = file.split(path.sep);
  for (let at = parts.length - 2; at >= 1; at--) {
    if (parts[at] === "agents" && (parts[at - 1] === ".claude" || parts[at - 1] === ".viable")) return parts.slice(at - 1).join("/");
  }
  return file;
}

function agentName(raw: unknown, stem: string, bad: (field: string, message: string, fix: string) => UserError): string {
  if (raw !== undefined && raw !== null && typeof raw !== "string") throw bad("name", `must be text, not ${JSON.stringify(raw)}`, "quote the name, e.g. `name: \"tester\"`");
  const name = typeof raw === "string" && raw.trim() !== "" ? raw.trim() : stem;
  const why =
    name.startsWith("-") ? 'must not start with "-"'
    : name.includes(":") ? 'must not contain ":" (Claude Code keeps it for plugin names)'
    : /[/\\\p{Cc}]/u.test(name) ? "must not contain / or \\ or control characters"
    : name.length > MAX_NAME ? `must be at most ${MAX_NAME} characters`
    : undefined;
  if (why !== undefined) throw bad("name", `"${name}" ${why}`, "choose another name in `name:` (or rename the file when it has none)");
  return name;
}

function description(raw: unknown, warnings: string[]): string {
  if (raw === undefined || raw === null) return "";
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  if (typeof raw !== "string") {
    warnings.push("description is not text; ignored");
    return "";
  }
  // Generated agent files write their examples on one line with literal \n; Claude Code reads those as new lines.
  return raw.replaceAll("\\n", "\n").trim();
}

/** `inherit` (any case) means the runtime's own configured model: no model asked for. */
function modelOf(raw: unknown, warnings: string[]): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string") {
    warnings.push(`model ${JSON.stringify(raw)} is not text; the runtime's configured model is used`);
    return undefined;
  }
  const model = raw.trim();
  if (model === "" || model.toLowerCase() === "inherit") return undefined;
  return model;
}

/**
 * A tool list as Claude Code reads one: a comma string (commas inside braces or parentheses do not
 * split), a YAML list, or [] for none. `*` anywhere means every tool: undefined.
 */
export function toolList(raw: unknown, field: string, warnings: string[]): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  let names: string[];
  if (typeof raw === "string") names = splitTools(raw);
  else if (Array.isArray(raw)) {
    names = [];
    for (const t of raw) {
      if (typeof t === "string") names.push(...splitTools(t));
      else warnings.push(`${field}: ${JSON.stringify(t)} is not a tool name; ignored`);
    }
  } else {
    warnings.push(`${field} must be a comma list or a YAML list of tool names; ignored`);
    return undefined;
  }
  return names.includes("*") ? undefined : names;
}

function splitTools(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of s) {
    if (c === "{" || c === "(") depth++;
    else if ((c === "}" || c === ")") && depth > 0) depth--;
    if (c === "," && depth === 0) {
      out.push(current);
      current = "";
    } else current += c;
  }
  out.push(current);
  return out.map((t) => t.trim()).filter((t) => t !== "");
}

function maxTurnsOf(raw: unknown, warnings: string[]): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isInteger(n) && n > 0) return n;
  warnings.push(`maxTurns ${JSON.stringify(raw)} is not a positive whole number; no turn limit is set`);
  return undefined;
}

/** A known key the unknown one is probably a misspelling of: same letters in another case, or two edits away. */
function nearestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const known of KNOWN_KEYS) {
    const d = known.toLowerCase() === lower ? 0 : editDistance(lower, known.toLowerCase());
    if (d <= (known.length >= 5 ? 2 : 1) && (best === undefined || d < best.distance)) best = { key: known, distance: d };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
