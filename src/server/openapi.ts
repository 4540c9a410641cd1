// The OpenAPI document of the API, made from the route list itself (routes.ts) with the bodies'
// JSON Schemas from their zod schemas.

import { z } from "zod";
import { ROUTES } from "./routes.ts";

const ERROR = {
  description: "An error with the CLI's reason, message and fix",
  content: { "application/json": { schema: { type: "object", properties: { error: { type: "object", properties: { reason: { type: "string" }, message: { type: "string" }, fix: { type: ["string", "null"] } }, required: ["reason", "message"] } } } } },
};

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      parameters: r.params.map((p) => ({ name: p.name, in: p.in, required: p.in === "path", description: p.description, schema: { type: p.type } })),
      ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: z.toJSONSchema(r.body) } } } } : {}),
      responses: { 200: { description: r.returns }, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 500: ERROR, 503: ERROR },
    };
  }
  paths["/api/projects/{p}/stream"] = {
    get: {
      summary: "Server-Sent Events: journal events (id = sequence number; resume with Last-Event-ID), `resync`, `heartbeat` every 15 s, and with ?attempt= that attempt's `output`",
      parameters: [
        { name: "p", in: "path", required: true, schema: { type: "string" } },
        { name: "after", in: "query", required: false, description: "start after this sequence number (Last-Event-ID wins)", schema: { type: "integer" } },
        { name: "attempt", in: "query", required: false, description: "also stream this attempt's output", schema: { type: "string" } },
      ],
      responses: { 200: { description: "text/event-stream" }, 401: ERROR, 404: ERROR },
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: "Viable", version, description: "The API of `viable serve`: projects, plans, items, tasks, events, metrics, cost, approvals, and the actions of the dashboard." },
    components: { securitySchemes: { cookie: { type: "apiKey", in: "cookie", name: "viable_session" }, bearer: { type: "http", scheme: "bearer" } } },
    security: [{ cookie: [] }, { bearer: [] }],
    paths,
  };
}
