// The agent registry: built-ins, then `.claude/agents/*.md`, then `.viable/agents/*.md`; a later
// source overrides an earlier one by name, so a project can redefine `tester` in a file.

import fs from "node:fs";
import path from "node:path";
import type { AgentDefinition, AgentSource } from "../domain/agent.ts";
import { UserError } from "../domain/errors.ts";
import type { RuntimeName } from "../domain/runtime.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { parseAgentFile } from "./agent-file.ts";
import { builtinAgents } from "./builtin-agents.ts";

export class AgentRegistry {
  private readonly byName: Map<string, AgentDefinition>;

  constructor(agents: AgentDefinition[]) {
    this.byName = new Map(agents.map((a) => [a.name, a]));
  }

  static load(paths: ProjectPaths, defaultRuntime: RuntimeName): AgentRegistry {
    const merged = new Map<string, AgentDefinition>();
    for (const a of builtinAgents(defaultRuntime)) merged.set(a.name, a);
    // Claude Code's own files default to the claude runtime: that is what they were written for.
    for (const a of readDir(paths.claudeAgentsDir, ".claude/agents", "claude")) merged.set(a.name, a);
    for (const a of readDir(paths.agentsDir, ".viable/agents", defaultRuntime)) merged.set(a.name, a);
    return new AgentRegistry([...merged.values()]);
  }

  get(name: string): AgentDefinition | undefined {
    return this.byName.get(name);
  }

  require(name: string): AgentDefinition {
    const a = this.byName.get(name);
    if (!a) {
      throw new UserError({ reason: "unknown_agent", field: "agent", message: `no agent named "${name}"`, fix: `use one of: ${this.names().join(", ")}, or add .viable/agents/${name}.md` });
    }
    return a;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): AgentDefinition[] {
    return this.names().map((n) => this.byName.get(n)!);
  }
}

function readDir(dir: string, source: AgentSource, defaultRuntime: RuntimeName): AgentDefinition[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).filter((f) => f.toLowerCase().endsWith(".md")).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new UserError({ reason: "bad_agent_file", file: dir, message: "cannot be read", fix: "check the directory's permissions" });
  }
  const seen = new Map<string, string>();
  return entries.map((f) => {
    const file = path.join(dir, f);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      throw new UserError({ reason: "bad_agent_file", file, message: "cannot be read", fix: "check the file's permissions" });
    }
    const def = parseAgentFile(file, text, source, defaultRuntime);
    const previous = seen.get(def.name);
    if (previous) {
      throw new UserError({ reason: "bad_agent_file", file, field: "name", message: `agent "${def.name}" is also defined in ${previous}`, fix: "give one of them another name" });
    }
    seen.set(def.name, f);
    return def;
  });
}
