// A warm pool for Claude Code (seed 000's REPL-pool semantics). `claude -p --input-format
// stream-json` started ahead of need waits for a user message on stdin and answers it with the
// usual stream ending in a `result` line; starting it costs most of a short task's latency, so the
// pool keeps processes ready: reused last-in first-out, dead ones dropped, at most `size` idle per
// key, each recycled after `maxTasks` tasks (a process carries its conversation, so by default a
// process serves one task: the pool only moves the start-up off the critical path).
//
// Warm processes are supervised like any attempt: own process group, a marker in the environment
// (`warm-<project>-<uuid>`) so that, if Viable is killed, the next start reaps idle ones too.

import crypto from "node:crypto";
import { failedOutcome, ZERO_USAGE, type AgentEvent, type AttemptOutcome } from "../../domain/outcome.ts";
import type { RunRequest } from "../../domain/runtime.ts";
import { superviseProcess, type SupervisedProcess } from "../../process/supervise-process.ts";
import { Transcript } from "../../process/transcript.ts";
import type { ProtocolParser } from "../protocols/common.ts";
import { clearWarmFlag, raiseWarmFlag, type WarmMarker } from "../warm-marker.ts";

export interface WarmSpawn {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  redact: string[];
  killGraceMs: number;
  maxOutputBytes: number;
}

export interface WarmPoolOptions {
  /** Idle processes kept ready per key. */
  size: number;
  /** Tasks a process serves before it is retired. */
  maxTasks: number;
  /** Identifies this project's warm processes for reaping after a crash. */
  marker: WarmMarker;
  newParser: (cwd: string) => ProtocolParser;
}

type Line = { stream: "stdout" | "stderr"; text: string };

/** One long-lived claude process and the task it is serving, if any. */
class WarmProcess {
  readonly proc: SupervisedProcess;
  readonly marker: string;
  readonly cwd: string;
  tasks = 0;
  dead = false;
  #listener: ((line: Line) => void) | undefined;

  constructor(spawn: WarmSpawn, marker: string) {
    this.marker = marker;
    this.cwd = spawn.cwd;
    this.proc = superviseProcess({
      file: spawn.file, args: spawn.args, cwd: spawn.cwd, env: spawn.env, stdin: "pipe", marker,
      killGraceMs: spawn.killGraceMs, maxOutputBytes: spawn.maxOutputBytes, redact: spawn.redact,
    });
    void this.#pump();
    void this.proc.exited.then(() => {
      this.dead = true;
    });
  }

  async #pump(): Promise<void> {
    // `lines` can be read once: one reader for the life of the process, handing lines to the task.
    for await (const line of this.proc.lines) this.#listener?.(line);
    this.dead = true;
    this.#listener?.({ stream: "stderr", text: "" });
  }

  listen(fn: ((line: Line) => void) | undefined): void {
    this.#listener = fn;
  }
}

export class ClaudeWarmPool {
  readonly #options: WarmPoolOptions;
  readonly #idle = new Map<string, WarmProcess[]>();
  readonly #all = new Set<WarmProcess>();
  #closed = false;
  #flagRaised = false;

  constructor(options: WarmPoolOptions) {
    this.#options = options;
  }

  /**
   * Starts processes for `key` until `size` are idle; returns at once. Those waiting in another
   * working directory (the previous plan item's worktree) are ended first: no task will come for
   * them, and a long loop must not pile them up. Other agents' processes in this directory stay.
   */
  prewarm(key: string, spawn: WarmSpawn): void {
    if (this.#closed) return;
    for (const [other, processes] of this.#idle) {
      if (other === key) continue;
      const stale = processes.filter((p) => p.cwd !== spawn.cwd);
      for (const p of stale) p.proc.closeStdin();
      this.#idle.set(other, processes.filter((p) => p.cwd === spawn.cwd));
    }
    const idle = this.#liveIdle(key);
    while (idle.length < this.#options.size) idle.push(this.#start(spawn));
  }

  /** Runs one task on a warm process (taking a new one if none is ready), refilling the pool after. */
  async *run(key: string, spawn: WarmSpawn, req: RunRequest, message: string): AsyncGenerator<AgentEvent> {
    // Closed: the command is ending, and a process started now would outlive it.
    if (this.#closed) {
      yield { type: "finished", outcome: { ...failedOutcome("cancelled: the warm pool was closed"), status: "cancelled" } };
      return;
    }
    const idle = this.#liveIdle(key);
    let p = idle.pop();
    const warm = p !== undefined;
    p ??= this.#start(spawn);
    // The next task should find one ready: start its process while this one works.
    this.prewarm(key, spawn);
    const proc = p;
    const pid = await proc.proc.started;
    if (pid !== undefined) {
      req.onSpawn?.(pid);
      yield { type: "started", pid, pgid: pid, command: `claude (warm pool, ${warm ? "warm" : "cold"})` };
    }
    const parser = this.#options.newParser(req.cwd);
    // The task's share of the process's output (already masked by its supervisor), capped like any transcript.
    const transcript = new Transcript(req.transcriptPath, req.limits.maxOutputBytes);
    const queue: Line[] = [];
    let wake: (() => void) | undefined;
    let resultSeen = false;
    // The process's own supervisor has no idle timeout (it idles between tasks by design): the
    // task's silence is timed here, from the lines it produces.
    let idleTimer: NodeJS.Timeout | undefined;
    let idledOut = false;
    proc.listen((line) => {
      idleTimer?.refresh();
      queue.push(line);
      wake?.();
    });
    const started = Date.now();
    let stop: "cancelled" | "timed_out" | undefined;
    const stopWith = (why: "cancelled" | "timed_out", message: string) => {
      stop ??= why;
      proc.proc.terminate(message);
      wake?.();
    };
    const onAbort = () => stopWith("cancelled", "cancelled");
    if (req.signal.aborted) onAbort();
    else req.signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stopWith("timed_out", `no result within ${Math.round(req.limits.timeoutMs / 1000)} s`), req.limits.timeoutMs);
    timer.unref();
    const idleMs = req.limits.idleTimeoutMs;
    if (idleMs !== undefined) {
      idleTimer = setTimeout(() => {
        idledOut = stop === undefined;
        stopWith("timed_out", `no output for ${idleMs} ms`);
      }, idleMs);
      idleTimer.unref();
    }
    try {
      await proc.proc.write(`${message}\n`).catch(() => undefined);
      while (!resultSeen) {
        const line = queue.shift();
        if (line === undefined) {
          if (proc.dead || stop) break;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        transcript.write(`${line.text}\n`);
        if (line.stream === "stderr") {
          for (const ev of parser.pushStderr(line.text)) yield ev;
          continue;
        }
        for (const ev of parser.push(line.text)) yield ev;
        if (/^\s*\{.*"type"\s*:\s*"result"/.test(line.text)) resultSeen = true;
        // A request refused for good (a wrong key) is retried by claude for minutes: stop now.
        if (parser.fatal && !stop) stopWith("cancelled", parser.fatal.error ?? "the run cannot succeed");
      }
    } finally {
      clearTimeout(timer);
      clearTimeout(idleTimer);
      req.signal.removeEventListener("abort", onAbort);
      proc.listen(undefined);
      transcript.close();
    }
    for (const ev of parser.end()) yield ev;
    proc.tasks++;
    let outcome: AttemptOutcome;
    if (resultSeen && !stop) {
      outcome = { ...parser.classify({ exitCode: 0, signal: null, termination: "exited", durationMs: Date.now() - started }), outputTruncated: transcript.truncated };
      if (proc.tasks >= this.#options.maxTasks || this.#closed) proc.proc.closeStdin();
      else this.#liveIdle(key).push(proc);
    } else {
      if (!stop) proc.proc.terminate("ended without a result");
      const exit = await proc.proc.exited;
      outcome = parser.classify({ exitCode: exit.exitCode, signal: exit.signal, termination: stop ?? "exited", durationMs: Date.now() - started, outputTruncated: exit.outputTruncated });
      if (idledOut && outcome.status === "timed_out") {
        outcome = { ...outcome, error: `no output for ${Math.round((idleMs ?? 0) / 1000)} s; the process group was stopped` };
      }
    }
    yield { type: "finished", outcome: { ...outcome, usage: outcome.usage ?? { ...ZERO_USAGE } } };
  }

  /** Ends every process of the pool (idle or not) and waits until they are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#all];
    for (const p of all) p.proc.closeStdin();
    await Promise.all(all.map(async (p) => {
      const t = setTimeout(() => p.proc.terminate("pool closed"), 2000);
      await p.proc.exited;
      clearTimeout(t);
    }));
    this.#idle.clear();
    if (this.#flagRaised) clearWarmFlag(this.#options.marker);
    this.#flagRaised = false;
  }

  #start(spawn: WarmSpawn): WarmProcess {
    if (!this.#flagRaised) raiseWarmFlag(this.#options.marker);
    this.#flagRaised = true;
    const p = new WarmProcess(spawn, `${this.#options.marker.prefix}-${crypto.randomUUID().slice(0, 12)}`);
    this.#all.add(p);
    void p.proc.exited.then(() => this.#all.delete(p));
    return p;
  }

  get idleCount(): number {
    let n = 0;
    for (const list of this.#idle.values()) n += list.filter((p) => !p.dead).length;
    return n;
  }

  #liveIdle(key: string): WarmProcess[] {
    const list = (this.#idle.get(key) ?? []).filter((p) => !p.dead);
    this.#idle.set(key, list);
    return list;
  }
}

/** Claude's stream-json input: one user message per line. */
export function userMessageLine(prompt: string): string {
  return JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text: prompt }] }, parent_tool_use_id: null, session_id: "" });
}
