// The live stream: Server-Sent Events per project. Every journal event goes out with its sequence
// number as the SSE id, so a browser that reconnects (EventSource sends Last-Event-ID by itself)
// gets exactly what it missed, replayed from the journal, then the live tail — no gap, no
// duplicate (EventBus.follow). A client too far behind to replay, or after `viable reset` restarted
// the numbering, gets `resync` and refetches. A heartbeat every 15 s keeps proxies and the client's
// liveness check honest.
//
// With `?attempt=ID` the same connection also carries that attempt's output, read from its
// transcript as it grows (`output` events, without an id: they are not journal events).
//
// Every connection starts with `hello` {epoch, last_seq}: a client that knew another epoch (the
// journal was reset meanwhile) refetches everything.
//
// Fan-out is the cost that grows with clients: an event is serialized and masked once for all of
// them (FrameCache), and each client's frames are written to its socket once per event-loop turn,
// straight to Node's response rather than through a web stream per message. A replay waits for the
// socket to drain page by page; only the live tail can overflow a client, which then resyncs.

import type { IncomingMessage, ServerResponse } from "node:http";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Context } from "hono";
import { attemptTranscript, TranscriptReader } from "../app/agent-output.ts";
import type { LogEntry } from "../domain/events.ts";
import { badRequest } from "./errors.ts";
import type { HubProject, ProjectHub } from "./hub.ts";

export interface StreamOptions {
  heartbeatMs: number;
  /** Further behind than this many events, a client is told to resync instead of replaying. */
  maxReplay: number;
  /** Bytes waiting for one slow client before it is told to resync. */
  maxPendingBytes: number;
  /** How often a followed transcript is read. */
  outputPollMs: number;
}

export const STREAM_DEFAULTS: StreamOptions = { heartbeatMs: 15_000, maxReplay: 10_000, maxPendingBytes: 8 * 1024 * 1024, outputPollMs: 200 };

/** How soon a browser retries after the connection drops (a server restart). */
const RETRY_MS = 1000;

/** SSE frames of recent events, made once whoever sends them. */
export class FrameCache {
  readonly #frames = new Map<number, string>();
  readonly #mask: (s: string) => string;
  readonly #size: number;

  constructor(mask: (s: string) => string, size = 4096) {
    this.#mask = mask;
    this.#size = size;
  }

  frame(e: LogEntry): string {
    let f = this.#frames.get(e.id);
    if (f === undefined) {
      f = `id: ${e.id}\nevent: event\ndata: ${this.#mask(JSON.stringify(e))}\n\n`;
      this.#frames.set(e.id, f);
      if (this.#frames.size > this.#size) this.#frames.delete(this.#frames.keys().next().value!);
    }
    return f;
  }

  /** After a reset the numbers mean other events. */
  clear(): void {
    this.#frames.clear();
  }
}

function message(event: string, data: unknown, mask: (s: string) => string, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${mask(JSON.stringify(data))}\n\n`;
}

/** Bytes a replay queues before it waits for the socket to take them. */
const REPLAY_CHUNK_BYTES = 256 * 1024;

export function streamRoute(hub: ProjectHub, mask: (s: string) => string, headers: Record<string, string>, options: StreamOptions) {
  const caches = new Map<string, FrameCache>();
  return async (c: Context): Promise<Response> => {
    const p = hub.get(c.req.param("p") ?? "");
    // What is committed, not what the tail has published yet: a client may know more than the tail.
    const committed = await p.committedSeq();
    const after = parseAfter(c.req.header("last-event-id") ?? c.req.query("after"), committed);
    const attemptId = c.req.query("attempt");
    const transcript = attemptId !== undefined ? await attemptTranscript(p.project, attemptId) : undefined;
    let cache = caches.get(p.id);
    if (!cache) {
      const made = new FrameCache(mask);
      p.tail.onReset(() => made.clear());
      caches.set(p.id, (cache = made));
    }
    const { outgoing } = c.env as { incoming: IncomingMessage; outgoing: ServerResponse };
    outgoing.writeHead(200, { ...headers, "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    const client = new Client(outgoing, mask, cache, p, options.maxPendingBytes);
    client.write(`retry: ${RETRY_MS}\n\n`);
    void client.start(after, committed, options, transcript && attemptId !== undefined ? { id: attemptId, ...transcript } : undefined);
    return RESPONSE_ALREADY_SENT;
  };
}

function parseAfter(value: string | undefined, last: number): number {
  if (value === undefined || value === "") return last;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw badRequest("after", `"${value}" is not a sequence number`, "pass the id of the last event received, or leave it out to start from now");
  return n;
}

/** One connected browser tab: what waits for its socket, its timers, and the order of what it is sent. */
class Client {
  readonly #res: ServerResponse;
  readonly #mask: (s: string) => string;
  readonly #cache: FrameCache;
  readonly #p: HubProject;
  readonly #maxPendingBytes: number;
  readonly #cleanups: (() => void)[] = [];
  #pending: string[] = [];
  #pendingBytes = 0;
  #flushScheduled = false;
  #closed = false;
  /** While the history is replayed: no overflow, the replay waits for the socket instead. */
  #replaying = true;
  /** After a resync, events up to here are not sent: the client refetches them. */
  #floor = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(res: ServerResponse, mask: (s: string) => string, cache: FrameCache, p: HubProject, maxPendingBytes: number) {
    this.#res = res;
    this.#mask = mask;
    this.#cache = cache;
    this.#p = p;
    this.#maxPendingBytes = maxPendingBytes;
    res.on("close", () => this.close());
    res.on("drain", () => {
      this.#flush();
      if (!res.writableNeedDrain) for (const w of this.#drainWaiters.splice(0)) w();
    });
  }

  async start(after: number, committed: number, o: StreamOptions, attempt: { id: string; file: string; runtime: string; running: boolean; cwd: string } | undefined): Promise<void> {
    const { tail } = this.#p;
    this.write(message("hello", { epoch: tail.epoch, last_seq: committed }, this.#mask));
    let from = after;
    if (after > committed || committed - after > o.maxReplay) {
      this.#resync(committed, after > committed ? "the journal was reset" : "too far behind to replay", false);
      from = committed;
    }
    this.#cleanups.push(tail.onReset((last) => this.#resync(last, "the journal was reset")));
    const heartbeat = setInterval(() => this.write(message("heartbeat", { at: new Date().toISOString(), last_seq: tail.lastSeq }, this.#mask)), o.heartbeatMs);
    this.#cleanups.push(() => clearInterval(heartbeat));
    if (attempt) this.#followOutput(attempt, o.outputPollMs);
    try {
      const unsubscribe = await tail.bus.follow(from, tail.history, (e) => {
        if (e.id <= this.#floor) return;
        this.write(this.#cache.frame(e));
        if (this.#replaying && this.#pendingBytes > REPLAY_CHUNK_BYTES) return this.#drained();
      });
      this.#replaying = false;
      if (this.#closed) unsubscribe();
      else this.#cleanups.push(unsubscribe);
    } catch {
      this.close();
    }
  }

  /** Resolves once what is queued has been taken by the socket (or the client is gone). */
  #drained(): Promise<void> {
    this.#flush();
    if (this.#closed || !this.#res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #followOutput(a: { id: string; file: string; runtime: string; running: boolean; cwd: string }, pollMs: number): void {
    const reader = new TranscriptReader(a.file, a.runtime, a.cwd);
    let first = true;
    let running = a.running;
    const read = async () => {
      const from = reader.next;
      const events = reader.read();
      if (events.length > 0 || first) this.write(message("output", { attempt: a.id, from, events, next: reader.next, done: false }, this.#mask));
      first = false;
      if (!running && events.length === 0) {
        this.write(message("output", { attempt: a.id, from: reader.next, events: [], next: reader.next, done: true }, this.#mask));
        clearInterval(timer);
        return;
      }
      if (running) running = await this.#p.attemptRunning(a.id);
    };
    const timer = setInterval(() => void read().catch(() => clearInterval(timer)), pollMs);
    this.#cleanups.push(() => clearInterval(timer));
    void read().catch(() => clearInterval(timer));
  }

  /** The client refetches everything; its Last-Event-ID moves to `last`, and nothing older follows. */
  #resync(last: number, reason: string, dropQueued = true): void {
    if (dropQueued) {
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    this.#floor = Math.max(this.#floor, last);
    this.write(message("resync", { epoch: this.#p.tail.epoch, last_seq: last, reason }, this.#mask, last));
  }

  /** Queued, and written with everything else queued in this turn. */
  write(frame: string): void {
    if (this.#closed) return;
    if (!this.#replaying && this.#pendingBytes + frame.length > this.#maxPendingBytes) {
      // A client this far behind would never catch up: it starts afresh from now.
      this.#resync(this.#p.tail.lastSeq, "too far behind");
      return;
    }
    this.#pending.push(frame);
    this.#pendingBytes += frame.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    // A socket that has not taken the last write waits for `drain`; frames pile up meanwhile.
    if (this.#closed || this.#pending.length === 0 || this.#res.writableNeedDrain) return;
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : this.#pending.join("");
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#res.write(chunk);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#cleanups.splice(0)) c();
    for (const w of this.#drainWaiters.splice(0)) w();
    if (!this.#res.writableEnded) this.#res.end();
  }
}
