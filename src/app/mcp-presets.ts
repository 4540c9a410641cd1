// MCP servers a project's agents often want (seed 004's presets), as small named entries a person
// picks from in `viable init`. Each is written into Claude Code's project file `.mcp.json` as that
// CLI reads it; nothing is installed until the CLI starts the server (npx fetches it then).

export interface McpPreset {
  name: string;
  /** One line: what the agents get from it. */
  description: string;
  entry: { command: string; args: string[]; env?: Record<string, string> };
}

export const MCP_PRESETS: readonly McpPreset[] = [
  {
    name: "playwright", description: "a browser the agent drives: open pages, click, read what a web app shows (Microsoft's @playwright/mcp)",
    entry: { command: "npx", args: ["-y", "@playwright/mcp@latest"] },
  },
  {
    name: "context7", description: "current documentation of libraries, looked up by name and version (@upstash/context7-mcp)",
    entry: { command: "npx", args: ["-y", "@upstash/context7-mcp"] },
  },
  {
    name: "sequential-thinking", description: "a scratchpad for breaking a hard problem into steps (@modelcontextprotocol/server-sequential-thinking)",
    entry: { command: "npx", args: ["-y", "@modelcontextprotocol/server-sequential-thinking"] },
  },
];

export function mcpPreset(name: string): McpPreset | undefined {
  return MCP_PRESETS.find((p) => p.name === name);
}
