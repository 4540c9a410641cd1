// `viable serve`: one local HTTP server for one or several projects — the JSON API (routes.ts, with
// its OpenAPI document), the live stream (stream.ts), and the dashboard's files (static.ts). It
// only reads the projects' journals and acts through the app layer's use cases; it keeps no state
// of its own that the journal does not have, so stopping or killing it loses nothing.

import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { secretMasker } from "../app/secrets.ts";
import { UserError } from "../domain/errors.ts";
import { badRequest, errorBody, errorResponse } from "./errors.ts";
import { handleMcpRequest } from "../mcp/http.ts";
import { ProjectHub } from "./hub.ts";
import { openApiDocument } from "./openapi.ts";
import { ROUTES, intParam, type RouteContext } from "./routes.ts";
import { accessControl, allowedHosts, cookieSecret, newToken, type AccessPolicy } from "./security.ts";
import { loadStaticFiles, type StaticFile } from "./static.ts";
import { STREAM_DEFAULTS, streamRoute, type StreamOptions } from "./stream.ts";

export interface ServeOptions {
  dirs: readonly string[];
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** A fixed token (tests); a fresh one otherwise. */
  token?: string;
  /** The file holding the secret that signs session cookies (see security.ts). */
  secretFile: string;
  version: string;
  log: (line: string) => void;
  stream?: Partial<StreamOptions>;
}

export interface RunningServer {
  /** The address without the token. */
  url: string;
  /** The address a person opens: the first visit turns the token into a cookie. */
  loginUrl: string;
  token: string;
  port: number;
  projects: { id: string; root: string }[];
  close(): Promise<void>;
}

function securityHeaders(inlineScripts: readonly string[]): Record<string, string> {
  return {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": `default-src 'self'; script-src 'self' ${inlineScripts.join(" ")}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'`,
  };
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const token = o.token ?? newToken();
  const files = loadStaticFiles();
  const SECURITY_HEADERS = securityHeaders(files.inlineScripts);
  const hub = new ProjectHub();
  const mask = secretMasker([token]);
  const policy: AccessPolicy = { token, secret: cookieSecret(o.secretFile), hosts: new Set() };
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    if (c.req.path.startsWith("/api/")) c.header("Cache-Control", "no-store");
  });
  app.use("*", accessControl(policy));
  app.onError((e, c) => {
    const { status, body } = errorResponse(e, o.log);
    return c.body(mask(JSON.stringify(body)), status as 400, { "Content-Type": "application/json; charset=utf-8" });
  });
  app.notFound((c) => c.json(errorBody("not_found", `no such route: ${c.req.method} ${c.req.path}`, "see /api/openapi.json for the routes"), 404));

  const file = (c: Context, f: StaticFile | undefined) => (f ? c.body(new Uint8Array(f.body), 200, { "Content-Type": f.type }) : c.json(errorBody("not_found", "no such file", "reload the dashboard"), 404));
  app.get("/", (c) => file(c, files.index));
  app.get("/assets/:name", (c) => file(c, files.assets.get(c.req.param("name"))));
  app.get("/vendor/:name", (c) => file(c, files.vendor.get(c.req.param("name"))));
  app.get("/api/openapi.json", (c) => c.json(openApiDocument(o.version)));
  app.get("/api/projects/:p/stream", streamRoute(hub, mask, SECURITY_HEADERS, { ...STREAM_DEFAULTS, ...o.stream }));
  // MCP (Streamable HTTP, stateless): the same tools as `viable mcp`, for every project shown here.
  app.post("/mcp", async (c) => {
    const answer = await handleMcpRequest(c.req.raw, hub.mcpProjects(), o.version);
    return new Response(answer.body === null ? null : mask(await answer.text()), { status: answer.status, headers: answer.headers });
  });
  app.on(["GET", "DELETE"], "/mcp", (c) => c.json({ jsonrpc: "2.0", error: { code: -32000, message: "only POST: this server keeps no MCP sessions" }, id: null }, 405));

  for (const route of ROUTES) {
    app.on(route.method.toUpperCase(), route.path.replace(/\{(\w+)\}/g, ":$1"), async (c) => {
      let parsedBody: unknown;
      if (route.body) parsedBody = await readBody(c, route.body);
      const r: RouteContext = {
        c, hub,
        project: () => hub.get(c.req.param("p") ?? ""),
        param: (name) => c.req.param(name) ?? "",
        query: (name) => c.req.query(name),
        int: (name, fallback, min, max) => intParam(c, name, fallback, min, max),
        body: <T>() => parsedBody as T,
      };
      const value = await route.handler(r);
      return c.body(mask(JSON.stringify(value)), 200, { "Content-Type": "application/json; charset=utf-8" });
    });
  }

  const server = createAdaptorServer({ fetch: app.fetch, hostname: o.host }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new UserError({
        reason: "bad_usage", field: code === "EADDRNOTAVAIL" ? "--host" : "--port",
        message: code === "EADDRINUSE" ? `port ${o.port} is in use` : code === "EACCES" ? `port ${o.port} needs privileges` : `${o.host} is not an address of this machine`,
        fix: code === "EADDRNOTAVAIL" ? "pass --host 127.0.0.1, or an address this machine has" : "pass another --port, or --port 0 for any free one",
      });
    }
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  for (const h of allowedHosts(o.host, port)) policy.hosts.add(h);
  const shownHost = o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `http://${shownHost}:${port}/`;
  // The projects are opened once the address is known (a watcher names it) and before anyone has it.
  try {
    await hub.open(o.dirs, url);
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw e;
  }
  let closed: Promise<void> | undefined;
  return {
    url, loginUrl: `${url}?token=${token}`, token, port,
    projects: hub.all().map((p) => ({ id: p.id, root: p.project.paths.root })),
    close: () => (closed ??= (async () => {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      // Live streams end with their connections (their clients clean up on "close").
      // Live streams never end by themselves.
      server.closeAllConnections();
      await done;
      await hub.close();
    })()),
  };
}

async function readBody(c: Context, schema: import("zod").ZodType): Promise<unknown> {
  let raw: unknown;
  const text = await c.req.text();
  try {
    raw = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw badRequest("body", "is not valid JSON", "send a JSON object, e.g. {\"decision\": \"approve\"}");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw badRequest(field, issue.message, `see the request body of this route in /api/openapi.json`);
  }
  return parsed.data;
}
