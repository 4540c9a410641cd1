// `viable mcp`: the MCP server over stdio, for one project, as an agent CLI starts it from its MCP
// configuration. stdout carries the protocol only; anything said goes to stderr. While it runs it
// counts as someone who can answer a writer's S5 approval (the `answer` tool).

import path from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { watchProject } from "../app/watch.ts";
import { UserError } from "../domain/errors.ts";
import { createMcpServer, type McpProjects } from "./tools.ts";

export async function serveMcpOverStdio(dir: string, version: string): Promise<void> {
  // Started by an agent Viable runs (its CLI read the project's .mcp.json): the agent is no person
  // to answer questions — it does not count as a watcher, and cannot answer or stop.
  const agent = process.env.VIABLE_ATTEMPT !== undefined || process.env.VIABLE_TASK_ID !== undefined;
  const watched = await watchProject(dir, "mcp", null, { watcher: !agent });
  const id = path.basename(watched.project.paths.root);
  const projects: McpProjects = {
    get: (wanted) => {
      if (wanted !== undefined && wanted !== id) throw new UserError({ reason: "not_found", field: "project", message: `this server serves only "${id}"`, fix: "leave project out" });
      return { id, project: watched.project };
    },
    ids: () => [id],
  };
  const server = createMcpServer(projects, version, { personTools: !agent });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  try {
    await server.connect(transport);
    // The client ends the session by closing our stdin.
    process.stdin.once("end", () => void server.close());
    await closed;
  } finally {
    await watched.close();
  }
}
