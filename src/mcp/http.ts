// The same MCP tools over Streamable HTTP, for `viable serve` at /mcp (behind its token): stateless,
// one server and transport per request, answers as plain JSON.

import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { createMcpServer, type McpProjects } from "./tools.ts";

export async function handleMcpRequest(request: Request, projects: McpProjects, version: string): Promise<Response> {
  const server = createMcpServer(projects, version);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    // A JSON answer is complete when it is returned.
    void transport.close();
    void server.close();
  }
}
