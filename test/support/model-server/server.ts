// A scripted model server on 127.0.0.1 for driving the real agent CLIs in tests. It speaks the four
// wire protocols the CLIs use, answers each model turn with the next step of the test's script,
// answers the CLIs' side requests on its own, and fails loudly — HTTP 500 plus a recorded failure
// the test asserts on — when a request is unexpected or the script has run out.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { anthropic } from "./anthropic.ts";
import { openaiChat } from "./chat.ts";
import type { Dialect, DialectName, IncomingRequest, ResolvedReply } from "./dialect.ts";
import { gemini } from "./gemini.ts";
import { openaiResponses } from "./responses.ts";
import type { Reply, Step } from "./script.ts";
import { concreteToolCall } from "./tools.ts";

const DIALECTS: readonly Dialect[] = [anthropic, openaiResponses, gemini, openaiChat];

export interface RecordedRequest {
  /** 1-based arrival order over all requests. */
  seq: number;
  method: string;
  path: string;
  query: string;
  dialect: DialectName | undefined;
  kind: "turn" | "aux" | "unexpected";
  /** For aux requests: what the server took it for. */
  purpose?: string;
  /** For turns: the index of the script step that answered it. */
  step?: number;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** For turns answered with a stream: from the request's arrival to the stream's end (the model's own time). */
  durationMs?: number;
}

export interface ModelServerOptions {
  script?: Step[];
  /** The workspace, for resolving relative paths in neutral tool calls. */
  cwd?: string;
  /**
   * Answers turns once the script has run out, from the request itself (for benchmarks that run
   * many agents at once, whose turns arrive in no fixed order). Without it, a turn past the script
   * is a failure.
   */
  respond?: (turn: { body: unknown; cwd: string | undefined }) => Step;
}

export interface ModelServer {
  /** http://127.0.0.1:PORT, without a trailing slash or path. */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** Everything that went wrong on the server's side; a passing test expects none. */
  readonly failures: readonly string[];
  cwd: string | undefined;
  enqueue(...steps: Step[]): void;
  /** Steps (counting each repetition of an error step) not consumed yet. */
  remainingSteps(): number;
  /** The requests that consumed script steps. */
  turns(): RecordedRequest[];
  /** Throws unless every step was consumed and nothing failed. */
  assertScriptConsumed(): void;
  close(): Promise<void>;
}

interface QueuedStep {
  step: Step;
  index: number;
  left: number;
}

export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const queue: QueuedStep[] = [];
  const requests: RecordedRequest[] = [];
  const failures: string[] = [];
  let stepCount = 0;
  let idCount = 0;
  const ids = { next: (prefix: string) => `${prefix}${String(++idCount).padStart(4, "0")}` };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, Buffer.concat(chunks).toString("utf8"), res).catch((e: unknown) => {
        failures.push(`server error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });

  async function handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const arrived = performance.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const incoming: IncomingRequest = { method: req.method ?? "GET", url, headers: req.headers, body };
    const record: RecordedRequest = {
      seq: requests.length + 1,
      method: incoming.method,
      path: url.pathname,
      query: url.search,
      dialect: undefined,
      kind: "unexpected",
      status: 0,
      headers: req.headers,
      body,
    };
    requests.push(record);
    const fail = (message: string, dialect?: Dialect): void => {
      const full = `request #${record.seq} ${record.method} ${record.path}${record.query}: ${message}`;
      failures.push(full);
      record.status = 500;
      const payload = dialect ? dialect.errorBody(500, `scripted model server: ${full}`) : { error: { message: `scripted model server: ${full}` } };
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };

    // Claude Code probes the base URL with HEAD / before its first call; any answer will do.
    if ((incoming.method === "HEAD" || incoming.method === "GET") && url.pathname === "/") {
      Object.assign(record, { kind: "aux", purpose: "probe", status: 404 });
      res.writeHead(404).end();
      return;
    }

    for (const dialect of DIALECTS) {
      const route = dialect.classify(incoming);
      if (!route) continue;
      record.dialect = dialect.name;
      if (route.kind === "aux") {
        Object.assign(record, { kind: "aux", purpose: route.purpose, status: route.status });
        if (route.frames) {
          res.writeHead(route.status, { "content-type": "text/event-stream", "cache-control": "no-cache" });
          for (const frame of route.frames) res.write(frame);
          res.end();
        } else {
          res.writeHead(route.status, { "content-type": "application/json" }).end(JSON.stringify(route.json));
        }
        return;
      }
      record.kind = "turn";
      const next = queue[0] ?? (options.respond ? { step: options.respond({ body, cwd: announcedCwd(body) ?? api.cwd }), index: stepCount, left: 1 } : undefined);
      if (!next) {
        fail("the script has run out (no step left for this turn)", dialect);
        return;
      }
      record.step = next.index;
      if (queue[0] === next && --next.left <= 0) queue.shift();
      const { step } = next;
      if (step.error) {
        const { status, headers = {}, message = `scripted error ${step.error.status}` } = step.error;
        record.status = status;
        res.writeHead(status, { "content-type": "application/json", ...(typeof headers === "function" ? headers() : headers) });
        res.end(JSON.stringify(step.error.body ?? dialect.errorBody(status, message)));
        return;
      }
      let resolved: ResolvedReply;
      try {
        resolved = resolveReply(step.reply, route.model, route.offeredTools, announcedCwd(body) ?? api.cwd);
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e), dialect);
        return;
      }
      record.status = 200;
      const stream = dialect.stream(resolved, ids);
      await writeStream(res, stream.frames, Math.max(1, stream.holdAfter), step.reply);
      record.durationMs = performance.now() - arrived;
      return;
    }
    fail("unexpected request: no dialect serves it");
  }

  function resolveReply(reply: Reply, model: string, offered: string[], cwd: string | undefined): ResolvedReply {
    return {
      text: reply.text,
      toolCalls: (reply.toolCalls ?? []).map((c) => concreteToolCall(c, offered, cwd)),
      usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, ...reply.usage },
      model,
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const api: ModelServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    failures,
    cwd: options.cwd,
    enqueue(...steps: Step[]) {
      for (const step of steps) queue.push({ step, index: stepCount++, left: Math.max(1, step.times ?? 1) });
    },
    remainingSteps: () => queue.reduce((n, q) => n + q.left, 0),
    turns: () => requests.filter((r) => r.kind === "turn"),
    assertScriptConsumed() {
      const problems = [...failures];
      const left = api.remainingSteps();
      if (left > 0) problems.push(`${left} script step(s) were never requested`);
      if (problems.length > 0) throw new Error(`scripted model server:\n  ${problems.join("\n  ")}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        // A held stream the test never released must not keep the server (or the test) alive.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  api.enqueue(...(options.script ?? []));
  return api;
}

async function writeStream(res: http.ServerResponse, frames: string[], holdAfter: number, reply: Reply): Promise<void> {
  let closed = false;
  res.on("close", () => (closed = true));
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const [i, frame] of frames.entries()) {
    if (i > 0 && reply.chunkDelayMs) await delay(reply.chunkDelayMs);
    if (i === holdAfter && reply.hold) await reply.hold.wait();
    if (closed) return;
    res.write(frame);
  }
  res.end();
}

/**
 * The working directory the CLI says it works in, from the request itself: relative paths in a
 * script are resolved against it, so one script serves an agent in any worktree. Claude Code
 * writes "Primary working directory: <dir>" into its system prompt, Codex `<cwd>dir</cwd>` into
 * its environment context; other CLIs fall back to the server's `cwd` option.
 */
function announcedCwd(body: unknown): string | undefined {
  const text = typeof body === "string" ? body : JSON.stringify(body ?? "");
  // Claude: "Primary working directory: …"; codex: <cwd>…</cwd>; gemini: "**Workspace Directories:**" then "- …".
  const m = /Primary working directory: ([^\s"\\]+)/.exec(text) ?? /<cwd>([^<]+)<\/cwd>/.exec(text) ?? /Workspace Directories:\*\*(?:\\n)\s*- ([^\s"\\]+)/.exec(text);
  return m?.[1];
}
