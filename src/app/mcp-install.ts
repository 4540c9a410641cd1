// `viable mcp install`: Viable's MCP server written into an agent CLI's own project configuration,
// as that CLI reads it — Claude Code's `.mcp.json`, Codex's `.codex/config.toml`, Gemini CLI's
// `.gemini/settings.json`. Other servers in those files are kept; only the `viable` entry is added
// or replaced, and what changed is said.

import path from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { UserError } from "../domain/errors.ts";
import { resolveProject } from "../workspace/project.ts";
import { findOnPath } from "../agents/cli-binary.ts";
import { VIABLE_BIN } from "./jobs.ts";
import { readJsonObject, readText, writeAtomically } from "./text-files.ts";

export const MCP_CLIENTS = ["claude", "codex", "gemini"] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];


export interface McpInstall {
  client: McpClient;
  file: string;
  /** added: no viable entry before; updated: a different one replaced; unchanged. */
  change: "added" | "updated" | "unchanged";
  /** The entry as written. */
  entry: Record<string, unknown>;
  /** What the client needs besides the file, in words. */
  note: string;
}

/**
 * How to start `viable mcp` for this project: the `viable` on PATH, by its absolute path (a PATH
 * that `npx` lengthened is not the one the agent CLI will have); else this install's node and CLI.
 */
function launcher(root: string): { command: string; args: string[] } {
  const found = findOnPath("viable");
  return found && !found.split(path.sep).includes("node_modules") ? { command: found, args: ["mcp", "-d", root] } : { command: process.execPath, args: [VIABLE_BIN, "mcp", "-d", root] };
}

export async function installMcp(dir: string, clients: readonly McpClient[], options: { dryRun: boolean }): Promise<McpInstall[]> {
  const { root } = await resolveProject(dir);
  const run = launcher(root);
  return clients.map((client) => {
    switch (client) {
      case "claude":
        return jsonEntry(client, path.join(root, ".mcp.json"), ["mcpServers", "viable"], { command: run.command, args: run.args }, options,
          "Claude Code asks before it uses a project's .mcp.json server: approve `viable` in `claude` (/mcp), or run `claude --mcp-config .mcp.json`");
      case "gemini":
        return jsonEntry(client, path.join(root, ".gemini", "settings.json"), ["mcpServers", "viable"], { command: run.command, args: run.args, cwd: root }, options,
          "Gemini CLI reads .gemini/settings.json in a trusted folder only (trust it when asked, or GEMINI_CLI_TRUST_WORKSPACE=true)");
      case "codex":
        return tomlEntry(path.join(root, ".codex", "config.toml"), { command: run.command, args: run.args }, options,
          `Codex reads .codex/config.toml of a trusted project only: trust it when asked, or add [projects."${root}"] trust_level = "trusted" to ~/.codex/config.toml`);
    }
  });
}

function changeOf(before: unknown, entry: Record<string, unknown>): McpInstall["change"] {
  return before === undefined ? "added" : JSON.stringify(before) === JSON.stringify(entry) ? "unchanged" : "updated";
}

function jsonEntry(client: McpClient, file: string, [section, name]: [string, string], entry: Record<string, unknown>, options: { dryRun: boolean }, note: string): McpInstall {
  const config = readJsonObject(file, "`viable mcp install`");
  const servers = config[section] ?? {};
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw new UserError({ reason: "bad_config", file, field: section, message: "is not an object of servers", fix: `make "${section}" an object, e.g. {"${section}": {}}` });
  }
  const before = (servers as Record<string, unknown>)[name];
  const change = changeOf(before, entry);
  if (change !== "unchanged" && !options.dryRun) writeAtomically(file, `${JSON.stringify({ ...config, [section]: { ...servers, [name]: entry } }, null, 2)}\n`);
  return { client, file, change, entry, note };
}

function tomlEntry(file: string, entry: Record<string, unknown>, options: { dryRun: boolean }, note: string): McpInstall {
  const text = readText(file);
  let config: Record<string, unknown> = {};
  if (text !== null) {
    try {
      config = parseToml(text);
    } catch (e) {
      throw new UserError({ reason: "bad_config", file, message: `is not valid TOML: ${(e as Error).message.split("\n")[0]}`, fix: "fix the file (or move it away) and run `viable mcp install` again" });
    }
  }
  const servers = (config.mcp_servers ?? {}) as Record<string, unknown>;
  if (typeof servers !== "object" || Array.isArray(servers)) throw new UserError({ reason: "bad_config", file, field: "mcp_servers", message: "is not a table", fix: "make [mcp_servers] a table" });
  const change = changeOf(servers.viable, entry);
  if (change !== "unchanged" && !options.dryRun) {
    const table = stringifyToml({ mcp_servers: { viable: entry } });
    if (change === "added") {
      // Added at the end, the rest of the file (its comments, its formatting) as it was.
      writeAtomically(file, `${text === null || text === "" ? "" : `${text.replace(/\n*$/, "")}\n\n`}${table}\n`);
    } else if (text !== null && /^\s*#/m.test(text)) {
      throw new UserError({
        reason: "bad_config", file, field: "mcp_servers.viable", message: "holds another viable entry, and rewriting the file would lose its comments",
        fix: `replace the [mcp_servers.viable] table by hand with:\n${table}`,
      });
    } else {
      writeAtomically(file, `${stringifyToml({ ...config, mcp_servers: { ...servers, viable: entry } })}\n`);
    }
  }
  return { client: "codex", file, change, entry, note };
}
