// Reading one agent file: Markdown with YAML front matter (Claude Code's `.claude/agents` format,
// which `.viable/agents` extends with runtime, timeout and command). Every problem names the file
// and the field.

import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { UserError } from "../domain/errors.ts";
import type { AgentDefinition, AgentSource } from "../domain/agent.ts";
import { RUNTIME_NAMES, type RuntimeName } from "../domain/runtime.ts";

const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

const frontMatterSchema = z.looseObject({
  name: z.string().regex(NAME, "use letters, digits, '.', '_' or '-'").optional(),
  description: z.string().optional(),
  runtime: z.string().optional(),
  model: z.string().optional(),
  // Claude Code writes `tools: Read, Grep, Bash`; a YAML list works too.
  tools: z.union([z.string(), z.array(z.string())]).optional(),
  timeout: z.number().positive().optional(),
  idle_timeout: z.number().positive().optional(),
  command: z.string().min(1).optional(),
  fallback: z.union([z.string(), z.array(z.string())]).optional(),
  kind: z.enum(["generalist", "functional", "domain", "custom"]).optional(),
  capabilities: z.array(z.string()).optional(),
});

export function parseAgentFile(file: string, text: string, source: AgentSource, defaultRuntime: RuntimeName): AgentDefinition {
  // Named from the project root (.viable/agents/x.md), the way the user knows the file.
  const root = path.dirname(path.dirname(path.dirname(file)));
  const rel = path.relative(root, file) || file;
  const bad = (field: string, message: string, fix: string) => new UserError({ reason: "bad_agent_file", file: rel, field, message, fix });

  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)([\s\S]*)$/.exec(text);
  if (!match) {
    throw bad("front matter", "has no YAML front matter", "start the file with a `---` line, the fields (name, description, runtime, ...), and a closing `---` line");
  }
  let raw: unknown;
  try {
    raw = parseYaml(match[1] ?? "") ?? {};
  } catch (e) {
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw bad(line ? `front matter line ${line + 1}` : "front matter", `is not valid YAML: ${(e as Error).message.split("\n")[0]}`, "fix the YAML syntax (quote values that contain ':' )");
  }
  if (typeof raw !== "object" || Array.isArray(raw) || raw === null) {
    throw bad("front matter", "must be a mapping of fields", "write `name: ...`, `description: ...` lines between the `---` markers");
  }
  const parsed = frontMatterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(issue?.path.join(".") || "front matter", issue?.message ?? "invalid", "correct the field's value (see README, Agents)");
  }
  const fm = parsed.data;
  const runtimeText = fm.runtime ?? defaultRuntime;
  if (!(RUNTIME_NAMES as readonly string[]).includes(runtimeText)) {
    throw bad("runtime", `unknown runtime "${runtimeText}"`, `use one of: ${RUNTIME_NAMES.join(", ")}`);
  }
  const runtime = runtimeText as RuntimeName;
  if (runtime === "command" && !fm.command) {
    throw bad("command", "the command runtime needs a `command`", "add e.g. `command: ./scripts/agent.sh` (run with sh -c in the workspace, prompt on stdin)");
  }
  const list = (v: string | string[] | undefined) =>
    v === undefined ? undefined : (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean);
  const stem = path.basename(file).replace(/\.md$/i, "");
  const name = fm.name ?? stem;
  if (!NAME.test(name)) throw bad("name", `"${name}" is not a usable agent name`, "add a `name:` with letters, digits, '.', '_' or '-'");
  const fallback = list(fm.fallback);
  for (const f of fallback ?? []) {
    if (!(RUNTIME_NAMES as readonly string[]).includes(f)) throw bad("fallback", `unknown runtime "${f}"`, `use runtimes from: ${RUNTIME_NAMES.join(", ")}`);
  }
  const def: AgentDefinition = {
    name,
    description: fm.description ?? "",
    runtime,
    prompt: (match[2] ?? "").trim(),
    kind: fm.kind ?? "custom",
    capabilities: fm.capabilities ?? [],
    source,
    file,
  };
  if (fm.model !== undefined) def.model = fm.model;
  const tools = list(fm.tools);
  if (tools !== undefined) def.tools = tools;
  if (fm.timeout !== undefined) def.timeout = fm.timeout;
  if (fm.idle_timeout !== undefined) def.idleTimeout = fm.idle_timeout;
  if (fm.command !== undefined) def.command = fm.command;
  if (fallback !== undefined) def.fallback = fallback;
  return def;
}
