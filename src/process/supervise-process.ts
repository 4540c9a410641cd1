// One supervised OS process: an agent CLI or a command, from spawn to the moment nothing it started
// is left running.
//
// It runs detached, i.e. in its own session and process group, so that stopping it can signal the
// whole group (SIGINT → SIGTERM → SIGKILL, see escalation.ts) without touching Viable. Its
// environment is exactly the caller's plus the attempt marker, which every descendant inherits;
// when it ends — for any reason, a clean exit included — whatever still carries the marker or
// descends from it is stopped (stop-processes.ts) before `exited` resolves. Output is split into
// lines for the caller and copied, capped and redacted, to the transcript.
//
// One escape remains: a descendant that both drops the marker (`env -i`) and leaves the group
// (`setsid`), whose parent then exits before the attempt ends. Nothing in /proc links it back to
// us any more. When we stop the attempt ourselves, the tree is read before the first signal, so
// only a clean exit can leave one behind.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import type { Readable } from "node:stream";
import { errorMessage } from "../domain/errors.ts";
import { type Escalation, escalateGroupKill } from "./escalation.ts";
import { LineQueue } from "./line-queue.ts";
import { LineSplitter, type SplitLine } from "./line-splitter.ts";
import type { ProcessExit, Termination } from "./process-exit.ts";
import { ATTEMPT_MARKER_VARIABLE, type ProcessInfo, findAttemptProcesses, readProcess } from "./process-tree.ts";
import { type Redactor, redactor } from "./redact.ts";
import { describeSpawnError, missingDirectoryError } from "./spawn-error.ts";
import { stopAttemptProcesses } from "./stop-processes.ts";
import { Transcript } from "./transcript.ts";

export type OutputStream = "stdout" | "stderr";

export interface OutputLine {
  stream: OutputStream;
  /** The line without its newline, secrets masked. */
  text: string;
  /** True when the line was longer than `maxLineBytes` and only its beginning is here. */
  truncated: boolean;
}

/**
 * - "ignore": the process reads nothing (end of file at once)
 * - "pipe": stdin stays open for `write()` until `closeStdin()`; for multi-turn processes
 * - { text }: written, then closed
 */
export type StdinSpec = "ignore" | "pipe" | { text: string };

export interface ProcessSpec {
  /** The program; there is no shell unless this is one (`sh` with `-c`). */
  file: string;
  args: readonly string[];
  /** Exported to the process as VIABLE_ATTEMPT_ID; identifies everything it starts. Unique per attempt. */
  marker: string;
  cwd?: string;
  /** The whole environment (see scrubbedEnv); nothing is inherited from Viable's own. */
  env: Readonly<Record<string, string | undefined>>;
  stdin?: StdinSpec;
  signal?: AbortSignal;
  /** Wall-clock limit. */
  timeoutMs?: number;
  /** Limit on time without output on stdout or stderr. */
  idleTimeoutMs?: number;
  /** Time between SIGINT, SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** Cap on the transcript (and on what counts as kept output when there is none). */
  maxOutputBytes: number;
  /** Cap on one line; the rest of a longer line is dropped. Defaults to 1 MiB. */
  maxLineBytes?: number;
  transcriptPath?: string;
  /** Values masked as *** in lines and in the transcript. */
  redact?: readonly string[];
  /** Called synchronously once the pid exists, before any output is handled: record it for reaping. */
  onSpawn?: (pid: number) => void;
}

export interface SupervisedProcess {
  /** undefined when the process never started. */
  readonly pid: number | undefined;
  /**
   * Its output, line by line, until both streams close; iterable once. Keep reading while it runs:
   * past a few MiB of unread lines the process is paused until the reader catches up.
   */
  readonly lines: AsyncIterable<OutputLine>;
  /** Resolves once the process has ended and no process of the attempt is left. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** Only with stdin "pipe". Rejects when stdin is closed or the process is gone. */
  write(text: string): Promise<void>;
  closeStdin(): void;
  /** Stops it (SIGINT → SIGTERM → SIGKILL); the exit reports "cancelled" with this reason. */
  terminate(reason: string): void;
}

const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const UNREAD_LINES_HIGH_WATER_MARK = 8 * 1024 * 1024;
/** How long output pipes may stay open after every known process is gone (an escapee holds them). */
const MIN_PIPE_DRAIN_MS = 200;

export function superviseProcess(spec: ProcessSpec): SupervisedProcess {
  return new Supervisor(spec);
}

type State = "running" | "stopping" | "cleaning_up" | "done";

class Supervisor implements SupervisedProcess {
  readonly pid: number | undefined;
  readonly lines: LineQueue<OutputLine>;
  readonly exited: Promise<ProcessExit>;

  readonly #spec: ProcessSpec;
  readonly #startedAt = performance.now();
  readonly #redact: Redactor;
  readonly #transcript: Transcript;
  #resolveExit!: (exit: ProcessExit) => void;
  #child: ChildProcess | undefined;
  #state: State = "running";
  #termination: { kind: Termination; message: string } | undefined;
  #escalation: Escalation | undefined;
  /** The process and its descendants as they were just before we started signalling them. */
  #tree: ProcessInfo[] = [];
  #wallTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #paused = false;
  #removeAbortListener: (() => void) | undefined;
  #outputBytes = 0;
  #lineCut = false;
  #streamsClosed: Promise<void> = Promise.resolve();

  constructor(spec: ProcessSpec) {
    if (spec.marker === "") throw new Error("superviseProcess: the attempt marker must not be empty");
    this.#spec = spec;
    this.#redact = redactor(spec.redact);
    this.#transcript = new Transcript(spec.transcriptPath, spec.maxOutputBytes);
    this.lines = new LineQueue<OutputLine>({
      highWaterMark: UNREAD_LINES_HIGH_WATER_MARK,
      onPause: () => this.#setPaused(true),
      onResume: () => this.#setPaused(false),
    });
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));

    if (spec.signal?.aborted) {
      this.#endWithoutProcess("cancelled", abortMessage(spec.signal));
      return;
    }
    if (spec.cwd !== undefined && !isDirectory(spec.cwd)) {
      this.#endWithoutProcess("spawn_failed", missingDirectoryError(spec.file, spec.cwd));
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.args, {
        cwd: spec.cwd,
        env: { ...definedOnly(spec.env), [ATTEMPT_MARKER_VARIABLE]: spec.marker },
        detached: true,
        stdio: [spec.stdin === undefined || spec.stdin === "ignore" ? "ignore" : "pipe", "pipe", "pipe"],
      });
    } catch (e) {
      this.#endWithoutProcess("spawn_failed", describeSpawnError(spec.file, spec.cwd, e));
      return;
    }
    this.#child = child;
    if (child.pid === undefined) {
      // Node reports ENOENT, EACCES and the like asynchronously, with no pid.
      child.once("error", (e) => this.#endWithoutProcess("spawn_failed", describeSpawnError(spec.file, spec.cwd, e)));
      return;
    }
    const pid = child.pid;
    this.pid = pid;
    const root = readProcess(pid);
    this.#tree = root ? [root] : [];
    // Once running, "error" would only report a failed kill() or send(), neither of which we use.
    child.on("error", () => {});
    child.once("exit", (code, signal) => void this.#onExit(code, signal));
    this.#readOutput(child);
    this.#feedStdin(child, spec.stdin);
    this.#startTimers();
    try {
      spec.onSpawn?.(pid);
    } catch (e) {
      this.terminate(`onSpawn failed: ${errorMessage(e)}`);
    }
  }

  write(text: string): Promise<void> {
    if (this.#spec.stdin !== "pipe") throw new Error('write() needs a process started with stdin: "pipe"');
    const stdin = this.#child?.stdin;
    if (!stdin?.writable) return Promise.reject(new Error(`the stdin of ${this.#spec.file} is closed`));
    return new Promise((resolve, reject) => stdin.write(text, (e) => (e ? reject(e) : resolve())));
  }

  closeStdin(): void {
    this.#child?.stdin?.end();
  }

  terminate(reason: string): void {
    this.#beginTermination("cancelled", reason);
  }

  #readOutput(child: ChildProcess): void {
    const closed: Promise<void>[] = [];
    for (const [name, stream] of [["stdout", child.stdout], ["stderr", child.stderr]] as const) {
      if (!stream) continue;
      const splitter = new LineSplitter(this.#spec.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
      stream.on("data", (chunk: Buffer) => {
        this.#outputBytes += chunk.length;
        this.#idleTimer?.refresh();
        this.#deliver(name, splitter.push(chunk));
      });
      stream.on("error", () => {});
      closed.push(new Promise((resolve) => stream.once("close", () => resolve(this.#deliver(name, splitter.end())))));
    }
    this.#streamsClosed = Promise.all(closed).then(() => undefined);
  }

  #deliver(stream: OutputStream, lines: SplitLine[]): void {
    for (const line of lines) {
      const text = this.#redact(line.text);
      this.#transcript.write(line.terminated ? `${text}\n` : text);
      if (line.truncated) this.#lineCut = true;
      this.lines.push({ stream, text, truncated: line.truncated });
    }
  }

  #feedStdin(child: ChildProcess, stdin: StdinSpec | undefined): void {
    // A process that exits without reading its input makes our writes fail with EPIPE; that is
    // its business, reported through write()'s promise at most.
    child.stdin?.on("error", () => {});
    if (typeof stdin === "object") child.stdin?.end(stdin.text);
  }

  #startTimers(): void {
    const { timeoutMs, signal } = this.#spec;
    // Timers are unref'd: the child process keeps the event loop alive while it runs.
    if (timeoutMs !== undefined) {
      this.#wallTimer = setTimeout(() => this.#beginTermination("timed_out", `timed out after ${timeoutMs} ms`), timeoutMs).unref();
    }
    this.#armIdleTimer();
    if (signal) {
      const onAbort = (): void => this.#beginTermination("cancelled", abortMessage(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      this.#removeAbortListener = () => signal.removeEventListener("abort", onAbort);
    }
  }

  #armIdleTimer(): void {
    const idleTimeoutMs = this.#spec.idleTimeoutMs;
    if (idleTimeoutMs === undefined || this.#state !== "running") return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () => this.#beginTermination("idle_timeout", `no output for ${idleTimeoutMs} ms`),
      idleTimeoutMs,
    ).unref();
  }

  /** Paused because the reader of `lines` fell behind: the silence is ours, not the process's. */
  #setPaused(paused: boolean): void {
    if (this.#state === "cleaning_up" || this.#state === "done") return;
    this.#paused = paused;
    for (const stream of [this.#child?.stdout, this.#child?.stderr]) {
      if (paused) stream?.pause();
      else stream?.resume();
    }
    if (paused) clearTimeout(this.#idleTimer);
    else this.#armIdleTimer();
  }

  #beginTermination(kind: Termination, message: string): void {
    if (this.#state !== "running" || this.pid === undefined) return;
    this.#state = "stopping";
    this.#termination = { kind, message };
    this.#clearTimers();
    // Taken before the first signal: once the process dies its children are re-parented to init
    // and the ppid links that make unmarked descendants (env -i) findable are gone.
    this.#tree = findAttemptProcesses({ known: this.#tree });
    this.#escalation = escalateGroupKill(this.pid, this.#spec.killGraceMs);
  }

  async #onExit(exitCode: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.#state === "cleaning_up" || this.#state === "done" || this.pid === undefined) return;
    this.#state = "cleaning_up";
    this.#clearTimers();
    this.#escalation?.cancel();
    if (this.#paused) for (const stream of [this.#child?.stdout, this.#child?.stderr]) stream?.resume();
    this.#child?.stdin?.destroy();

    const errors: string[] = [];
    let leftovers: ProcessInfo[] = [];
    let forcedLeftovers = false;
    try {
      const stopped = await stopAttemptProcesses(
        { markers: [this.#spec.marker], processGroups: [this.pid], known: this.#tree },
        this.#spec.killGraceMs,
      );
      leftovers = stopped.stopped;
      forcedLeftovers = stopped.forced;
    } catch (e) {
      errors.push(`could not stop the processes it left behind: ${errorMessage(e)}`);
    }
    await this.#drainOutput();
    this.lines.end();
    const transcriptError = await this.#transcript.close();
    if (transcriptError !== undefined) errors.push(transcriptError);
    if (this.#termination) errors.unshift(this.#termination.message);

    this.#state = "done";
    this.#resolveExit({
      exitCode,
      signal,
      termination: this.#termination?.kind ?? "exited",
      forced: (this.#escalation?.forced ?? false) || forcedLeftovers,
      leftovers: leftovers.map((p) => ({ pid: p.pid, command: p.command })),
      outputTruncated: this.#transcript.truncated || this.#lineCut,
      outputBytes: this.#outputBytes,
      durationMs: Math.round(performance.now() - this.#startedAt),
      ...(errors.length > 0 ? { error: errors.join("; ") } : {}),
    });
  }

  /** Reads what is left in the pipes; gives up on pipes held open by a process we could not find. */
  async #drainOutput(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(this.#spec.killGraceMs, MIN_PIPE_DRAIN_MS));
    });
    const timedOut = await Promise.race([this.#streamsClosed.then(() => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut) {
      const streams: (Readable | null | undefined)[] = [this.#child?.stdout, this.#child?.stderr];
      for (const stream of streams) stream?.destroy();
      await this.#streamsClosed;
    }
  }

  #endWithoutProcess(termination: Termination, error: string): void {
    if (this.#state === "done") return;
    this.#state = "done";
    this.lines.end();
    void this.#transcript.close().then(() => this.#resolveExit({
      exitCode: null,
      signal: null,
      termination,
      forced: false,
      leftovers: [],
      outputTruncated: false,
      outputBytes: 0,
      durationMs: Math.round(performance.now() - this.#startedAt),
      error,
    }));
  }

  #clearTimers(): void {
    clearTimeout(this.#wallTimer);
    clearTimeout(this.#idleTimer);
    this.#removeAbortListener?.();
  }
}

function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason === undefined ? "cancelled" : `cancelled: ${errorMessage(reason)}`;
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}
