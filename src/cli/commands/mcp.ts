// `viable mcp`: the MCP server over stdio (what an agent CLI starts); `viable mcp install`: writes
// the CLIs' own configuration for it and shows what it wrote.

import { installMcp, type McpClient } from "../../app/mcp-install.ts";
import { serveMcpOverStdio } from "../../mcp/stdio.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";

export async function mcpServeCommand(args: { dir: string; version: string }): Promise<number> {
  await serveMcpOverStdio(args.dir, args.version);
  return EXIT.ok;
}

export async function mcpInstallCommand(args: { dir: string; clients: McpClient[]; dryRun: boolean; json: boolean }, o: Output): Promise<number> {
  const results = await installMcp(args.dir, args.clients.length > 0 ? args.clients : ["claude"], { dryRun: args.dryRun });
  if (args.json) {
    printJson(o, { dry_run: args.dryRun, installed: results });
    return EXIT.ok;
  }
  for (const r of results) {
    const verb = r.change === "unchanged" ? "already has" : args.dryRun ? (r.change === "added" ? "would add to" : "would update in") : r.change === "added" ? "added to" : "updated in";
    o.out(`${r.client}: ${verb} ${r.file}:`);
    o.out(`  "viable": ${JSON.stringify(r.entry)}`);
    o.out(`  ${r.note}`);
  }
  return EXIT.ok;
}


