// Use case behind `viable agents`: the registry as this project sees it — which definition wins
// and from where, the files that are broken (each with its file, field and fix), and the warnings
// (typos, overrides, fields the CLI will not honour).

import path from "node:path";
import type { AgentDefinition } from "../domain/agent.ts";
import type { UserError } from "../domain/errors.ts";
import { withProject, type Project } from "./project.ts";

export type AgentListing = Omit<AgentDefinition, "file"> & { file: string | null };

export interface AgentsReport {
  agents: AgentListing[];
  broken: { name: string; file: string; error: UserError }[];
  warnings: string[];
}

export async function listAgents(dir: string): Promise<AgentsReport> {
  return withProject(dir, { writer: false, command: "agents" }, async (p) => {
    const registry = p.registry();
    const rel = (file: string) => path.relative(p.paths.root, file);
    return {
      agents: registry.all().map((a) => ({ ...a, file: a.file ? rel(a.file) : null })),
      broken: registry.broken().map((b) => ({ name: b.name, file: rel(b.file), error: b.error })),
      warnings: registry.warnings().map((w) => w.message),
    };
  });
}

/**
 * What a run or a loop should say before it starts: the registry's warnings and the agent files
 * that are broken (a task fails only if it needs one of those, and then says why).
 */
export function agentNotes(project: Project): string[] {
  const registry = project.registry();
  const broken = registry.broken();
  // A broken file's own line says it all (file, field, reason); the registry's note on the same
  // file (that it shadows a definition) would say it twice.
  const brokenFiles = new Set(broken.map((b) => b.file));
  // The broker reaches claude only: say so where the rules would silently not hold.
  const unbrokered = project.config.permissions ? registry.all().filter((a) => a.runtime !== "claude" && a.runtime !== "command").map((a) => `${a.name} (${a.runtime})`) : [];
  return [
    ...registry.warnings().filter((w) => !brokenFiles.has(w.file)).map((w) => `warning: ${w.message}`),
    ...broken.map((b) => `warning: agent ${b.name} is not available: ${b.error.message.split("\n")[0] ?? ""}`),
    ...(unbrokered.length > 0 ? [`note: permissions in .viable/config.json apply to claude agents only; ${unbrokered.join(", ")} run under their own CLI's settings (runtimes.<cli>.auto_approve)`] : []),
  ];
}
