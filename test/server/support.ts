// Scaffolding for the server's tests: `viable serve` started in this process on a free port with a
// known token, a client that sends what a browser would (the token as a bearer header, or nothing,
// or a foreign Host or Origin), and a Server-Sent Events reader that keeps every event with its id.

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startServer, type RunningServer, type ServeOptions } from "../../src/server/server.ts";

export const TOKEN = "test-token-0123456789abcdef";

export interface Served extends RunningServer {
  /** GET/POST/DELETE with the token; the parsed JSON and the status. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** A request exactly as given: no token unless in `headers`. */
  raw(method: string, path: string, headers?: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>;
}

export async function serve(t: { after: (fn: () => Promise<void> | void) => void }, dirs: string[], options: Partial<ServeOptions> = {}): Promise<Served> {
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), "viable-serve-secret-"));
  const server = await startServer({ dirs, host: "127.0.0.1", port: 0, token: TOKEN, version: "test", secretFile: path.join(secretDir, "secret"), log: () => undefined, ...options });
  t.after(() => fs.rmSync(secretDir, { recursive: true, force: true }));
  t.after(() => server.close());
  const raw: Served["raw"] = (method, path, headers = {}, body) => new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.port, method, path, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
  return Object.assign(server, {
    raw,
    api: async <T>(method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const r = await raw(method, path, headers, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
      let parsed: T;
      try {
        parsed = JSON.parse(r.text) as T;
      } catch {
        throw new Error(`${method} ${path}: not JSON (status ${r.status}): ${r.text.slice(0, 300)}`);
      }
      return { status: r.status, body: parsed };
    },
  });
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** A connected SSE stream: every event so far, waiting for more, closing. */
export interface SseClient {
  events: SseEvent[];
  /** Resolves with the first event (from the start) that satisfies `pred`. */
  waitFor(pred: (e: SseEvent, all: SseEvent[]) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
  status: number;
}

export async function sse(server: Served, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let req: http.ClientRequest;
  const status = await new Promise<number>((resolve, reject) => {
    req = http.request({ host: "127.0.0.1", port: server.port, path, headers: { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${TOKEN}`, Accept: "text/event-stream", ...headers } }, (res) => {
      resolve(res.statusCode ?? 0);
      let buffer = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        buffer += d;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e: SseEvent = { event: "message", id: undefined, data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            if (colon === 0) continue;
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") e.event = value;
            else if (field === "id") e.id = value;
            else if (field === "data") data.push(value);
          }
          e.data = data.join("\n");
          events.push(e);
          for (const w of waiters) w();
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", reject);
    req.end();
  });
  return {
    events, status,
    close: () => req.destroy(),
    waitFor: (pred, what, timeoutMs = 30_000) => new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find((e) => pred(e, events));
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got: ${events.map((e) => `${e.event}#${e.id ?? ""}`).join(" ")}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    }),
  };
}

/** The journal events of a stream, as parsed entries. */
export function journalEvents(events: readonly SseEvent[]): { id: number; event_type: string; data: Record<string, unknown> }[] {
  return events.filter((e) => e.event === "event").map((e) => JSON.parse(e.data) as { id: number; event_type: string; data: Record<string, unknown> });
}

/** The journal event type an SSE `event` carries (undefined for other kinds of message). */
export function eventType(e: SseEvent): string | undefined {
  return e.event === "event" ? (JSON.parse(e.data) as { event_type: string }).event_type : undefined;
}
