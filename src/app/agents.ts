// Use case behind `viable agents`: the registry as this project sees it — which definition wins,
// and from where.

import path from "node:path";
import type { AgentDefinition } from "../domain/agent.ts";
import { withProject } from "./project.ts";

export type AgentListing = Omit<AgentDefinition, "file"> & { file: string | null };

export async function listAgents(dir: string): Promise<AgentListing[]> {
  return withProject(dir, { writer: false, command: "agents" }, async (p) =>
    p.registry().all().map((a) => ({ ...a, file: a.file ? path.relative(p.paths.root, a.file) : null })));
}
