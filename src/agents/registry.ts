// The agent registry: built-ins, then `.claude/agents/**/*.md`, then `.viable/agents/**/*.md`; a
// later source overrides an earlier one by name, so a project can redefine `tester` in a file.
//
// One broken file does not disable the others: it is kept as broken, with the reason, so
// `viable agents` can list it, and only a run that needs that agent fails — saying why. Two files
// in one directory that define the same name are warned about and the precedence decides, as in
// Claude Code: the file named after the agent (`tester.md` for `tester`), else the first in path
// order.

import fs from "node:fs";
import path from "node:path";
import type { AgentDefinition, AgentSource } from "../domain/agent.ts";
import { UserError, isUserError } from "../domain/errors.ts";
import type { RuntimeName } from "../domain/runtime.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { parseAgentFile } from "./agent-file.ts";
import { builtinAgents } from "./builtin-agents.ts";

/** An agent file that could not be loaded, and why. */
export interface BrokenAgent {
  /** The name it would have had: its `name:` when that could be read, else the file name. */
  name: string;
  source: AgentSource;
  file: string;
  /** The file, field and fix. */
  error: UserError;
}

/** Something about the registry as a whole worth telling the user (duplicates, overrides, unreadable files). */
export interface RegistryNote {
  file: string;
  message: string;
}

export class AgentRegistry {
  private readonly byName: Map<string, AgentDefinition>;
  private readonly brokenByName: Map<string, BrokenAgent>;
  private readonly notesList: RegistryNote[];

  constructor(agents: AgentDefinition[], broken: BrokenAgent[] = [], notes: RegistryNote[] = []) {
    this.byName = new Map(agents.map((a) => [a.name, a]));
    this.brokenByName = new Map(broken.filter((b) => !this.byName.has(b.name)).map((b) => [b.name, b]));
    this.notesList = notes;
  }

  static load(paths: ProjectPaths, defaultRuntime: RuntimeName): AgentRegistry {
    const merged = new Map<string, AgentDefinition>();
    const broken = new Map<string, BrokenAgent>();
    const notes: RegistryNote[] = [];
    for (const a of builtinAgents(defaultRuntime)) merged.set(a.name, a);
    // Claude Code's own files default to the claude runtime: that is what they were written for.
    const layers: [string, AgentSource, RuntimeName][] = [
      [paths.claudeAgentsDir, ".claude/agents", "claude"],
      [paths.agentsDir, ".viable/agents", defaultRuntime],
    ];
    for (const [dir, source, runtime] of layers) {
      const read = readDir(dir, source, runtime, paths.root);
      notes.push(...read.notes);
      for (const a of read.agents) {
        const before = merged.get(a.name);
        if (before?.file !== undefined && a.file !== undefined) notes.push({ file: a.file, message: `${rel(paths.root, a.file)} overrides ${rel(paths.root, before.file)} for agent "${a.name}"` });
        merged.set(a.name, a);
        broken.delete(a.name);
      }
      for (const b of read.broken) {
        // A broken file still claims its name: running the definition it meant to replace instead
        // would run an agent the user did not ask for.
        const shadowed = merged.get(b.name);
        if (shadowed !== undefined) {
          merged.delete(b.name);
          notes.push({ file: b.file, message: `agent "${b.name}" cannot run until ${rel(paths.root, b.file)} is fixed (it replaces ${shadowed.file !== undefined ? rel(paths.root, shadowed.file) : "the built-in"})` });
        }
        broken.set(b.name, b);
      }
    }
    return new AgentRegistry([...merged.values()], [...broken.values()], notes);
  }

  get(name: string): AgentDefinition | undefined {
    return this.byName.get(name);
  }

  /** The agent, or the error that says why there is none: its file is broken, or no such agent. */
  require(name: string): AgentDefinition {
    const a = this.byName.get(name);
    if (a) return a;
    const broken = this.brokenByName.get(name);
    if (broken) throw broken.error;
    throw new UserError({ reason: "unknown_agent", field: "agent", message: `no agent named "${name}"`, fix: `use one of: ${this.names().join(", ")}, or add .viable/agents/${name}.md` });
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Agents that can run, by name. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  all(): AgentDefinition[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  /** Agent files that could not be loaded, by name, each with its error. */
  broken(): BrokenAgent[] {
    return [...this.brokenByName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Broken agents' reasons by name, for plan validation (`validatePlan(.., {agents})`). */
  brokenReasons(): Map<string, string> {
    return new Map(this.broken().map((b) => [b.name, b.error.message.replace(/\n\s*/g, " ")]));
  }

  /** Duplicates, overrides and unreadable files, plus each agent's own warnings. */
  warnings(): RegistryNote[] {
    const own = this.all().flatMap((a) => (a.warnings ?? []).map((message) => ({ file: a.file ?? "built-in", message: `agent "${a.name}": ${message}` })));
    return [...this.notesList, ...own];
  }
}

function rel(root: string, file: string): string {
  return path.relative(root, file) || file;
}

/** Every `.md` under `dir`, subdirectories included (Claude Code reads them too), in path order. */
function markdownFiles(dir: string, notes: RegistryNote[]): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") notes.push({ file: dir, message: `${dir} cannot be read (${code ?? "error"}); its agents are not loaded` });
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(full, notes));
    else if (e.name.toLowerCase().endsWith(".md")) out.push(full);
  }
  return out;
}

function readDir(dir: string, source: AgentSource, defaultRuntime: RuntimeName, root: string): { agents: AgentDefinition[]; broken: BrokenAgent[]; notes: RegistryNote[] } {
  const notes: RegistryNote[] = [];
  const agents = new Map<string, AgentDefinition>();
  const broken: BrokenAgent[] = [];
  for (const file of markdownFiles(dir, notes)) {
    const stem = path.basename(file).replace(/\.md$/i, "");
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      broken.push({ name: stem, source, file, error: new UserError({ reason: "bad_agent_file", file: rel(root, file), message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`, fix: "check the file's permissions" }) });
      continue;
    }
    let def: AgentDefinition;
    try {
      def = parseAgentFile(file, text, source, defaultRuntime);
    } catch (e) {
      if (!isUserError(e)) throw e;
      broken.push({ name: declaredName(text) ?? stem, source, file, error: e });
      continue;
    }
    const previous = agents.get(def.name);
    if (previous === undefined) {
      agents.set(def.name, def);
      continue;
    }
    // Same name twice in one directory: the file named after the agent, else the first in path order.
    const keepNew = path.basename(file, path.extname(file)) === def.name && path.basename(previous.file ?? "", ".md") !== def.name;
    const [kept, dropped] = keepNew ? [def, previous] : [previous, def];
    agents.set(def.name, kept);
    notes.push({ file, message: `agent "${def.name}" is defined in both ${rel(root, previous.file ?? "")} and ${rel(root, file)}; ${rel(root, kept.file ?? "")} is used, ${rel(root, dropped.file ?? "")} is ignored` });
  }
  return { agents: [...agents.values()], broken, notes };
}

/** The `name:` line of a file whose front matter could not be parsed, so its breakage is filed under the right name. */
function declaredName(text: string): string | undefined {
  const m = /^name:[ \t]*["']?([\p{L}\p{N}][^"'\r\n:#[\]{}]*?)["']?[ \t]*\r?$/mu.exec(text.slice(0, 4096));
  return m?.[1];
}
