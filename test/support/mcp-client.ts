// An MCP client of `viable mcp` over stdio, as an agent CLI starts it (the SDK's own client), and
// a tool call whose one text result is parsed as JSON.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { testEnv, VIABLE_BIN } from "./cli.ts";

type Json = Record<string, unknown>;

export async function stdioClient(t: { after: (fn: () => Promise<void>) => void }, dir: string): Promise<Client> {
  const client = new Client({ name: "viable-test", version: "1" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [VIABLE_BIN, "mcp", "-d", dir], env: testEnv(), stderr: "pipe" }));
  t.after(() => client.close());
  return client;
}

export async function call(client: Client, name: string, args: Json = {}): Promise<{ value: Json; isError: boolean }> {
  const r = await client.callTool({ name, arguments: args });
  const content = r.content as { type: string; text: string }[];
  return { value: JSON.parse(content[0]!.text) as Json, isError: r.isError === true };
}
