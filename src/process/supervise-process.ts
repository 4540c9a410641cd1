// One supervised OS process: an agent CLI, a command or a check, from spawn to the moment nothing it
// started is left running. Every process Viable starts goes through here.
//
// It runs detached, i.e. in its own session and process group, so that stopping it can signal the
// whole group (SIGINT → SIGTERM → SIGKILL, see escalation.ts) without touching Viable. Its
// environment is exactly the caller's plus the attempt marker, which every descendant inherits.
// Output is counted, its secrets masked, and copied, capped, to a transcript created with the first
// byte (transcript.ts).
//
// What differs between callers is a strategy (SupervisionStrategy), with the same guarantees:
// - spawner: who forks the process — this process (default), or a pool of small helper processes
//   (spawner.ts), for callers that start thousands of them from a big process.
// - leftovers: how what the process left behind is found once it has ended. "scan" (default) reads
//   the whole of /proc at every exit and stops every descendant and every process carrying the
//   marker before `exited` resolves. A LeftoverSweeper instead costs one kill(-pgid, 0) per exit:
//   if anything is left in the group, the full scan is done then; processes that left the group
//   (setsid) are stopped by the sweeper's next sweep, at most a second later, and at its close().
// - output: "lines" (default), split and delivered through `lines` with backpressure (the process
//   is paused while the reader is behind); or chunks as they arrive, to a callback, not split.
//
// When the supervisor stops the process itself (timeout, idle, cancel, terminate) it reads the
// process tree before the first signal, in every strategy: once the process dies its children are
// re-parented to init, and the ppid links that make unmarked descendants (`env -i`) findable are
// gone. One escape remains: a descendant that both drops the marker and leaves the group, whose
// parent then exits before the attempt ends. Nothing in /proc links it back to us any more, so only
// a clean exit can leave one behind.

import { StringDecoder } from "node:string_decoder";
import { errorMessage } from "../domain/errors.ts";
import { type Escalation, escalateGroupKill } from "./escalation.ts";
import type { LeftoverSweeper } from "./leftover-sweeper.ts";
import { LineQueue } from "./line-queue.ts";
import { LineSplitter, type SplitLine } from "./line-splitter.ts";
import type { ProcessExit, Termination } from "./process-exit.ts";
import { ATTEMPT_MARKER_VARIABLE, type ProcessInfo, findAttemptProcesses } from "./process-tree.ts";
import { type Redactor, StreamRedactor, redactor } from "./redact.ts";
import { type SpawnFailure, describeSpawnFailure } from "./spawn-error.ts";
import { IN_PROCESS_SPAWNER, type OutputStream, type Spawned, type Spawner, type StdinSpec } from "./spawner.ts";
import { isGroupAlive, stopAttemptProcesses } from "./stop-processes.ts";
import { Transcript } from "./transcript.ts";

export type { OutputStream, StdinSpec } from "./spawner.ts";

export interface OutputLine {
  stream: OutputStream;
  /** The line without its newline, secrets masked. */
  text: string;
  /** True when the line was longer than `maxLineBytes` and only its beginning is here. */
  truncated: boolean;
}

/**
 * - "scan": the whole of /proc is read at every exit (before `exited` resolves)
 * - a LeftoverSweeper: the process group is probed at every exit (scanned only if something is left
 *   in it); the marker is swept later, with those of other ended attempts
 */
export type LeftoverPolicy = "scan" | LeftoverSweeper;

/**
 * - "lines": `lines` yields each line, secrets masked; unread lines pause the process
 * - { chunks }: each chunk of output as it arrives, secrets masked (a secret split between two chunks
 *   included: the end of a chunk may be held back until the next one), never split into lines and
 *   never paused; `lines` yields nothing
 */
export type OutputMode = "lines" | { chunks: (stream: OutputStream, text: string) => void };

export interface SupervisionStrategy {
  /** Default: this process (IN_PROCESS_SPAWNER). */
  spawner?: Spawner;
  /** Default "scan". */
  leftovers?: LeftoverPolicy;
  /** Default "lines". */
  output?: OutputMode;
}

export interface ProcessSpec {
  /** The program; there is no shell unless this is one (`sh` with `-c`). */
  file: string;
  args: readonly string[];
  /** Exported to the process as VIABLE_ATTEMPT_ID; identifies everything it starts. Unique per attempt. */
  marker: string;
  cwd?: string;
  /** The whole environment (see scrubbedEnv) on top of `sharedEnv`; nothing is inherited from Viable's own. */
  env: Readonly<Record<string, string | undefined>>;
  /** Variables shared by many processes, the same object each time: a helper spawner receives them once. */
  sharedEnv?: Readonly<Record<string, string>>;
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
  /** Cap on one line, in "lines" output; the rest of a longer line is dropped. Defaults to 1 MiB. */
  maxLineBytes?: number;
  transcriptPath?: string;
  /** Values masked as *** in lines, chunks and the transcript (see secretValues). */
  redact?: readonly string[];
  /** Called synchronously once the pid exists, before any output is handled: record it for reaping. */
  onSpawn?: (pid: number) => void;
  strategy?: SupervisionStrategy;
}

export interface SupervisedProcess {
  /** undefined until the process has started, and when it never did. */
  readonly pid: number | undefined;
  /** Resolves with the pid once the process runs (onSpawn has been called), or undefined when it never started. */
  readonly started: Promise<number | undefined>;
  /**
   * Its output, line by line, until both streams close; iterable once; empty with chunk output. Keep
   * reading while it runs: past a few MiB of unread lines the process is paused until the reader
   * catches up.
   */
  readonly lines: AsyncIterable<OutputLine>;
  /** Resolves once the process has ended and its leftovers are dealt with (see LeftoverPolicy). Never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** Only with stdin "pipe". Rejects when stdin is closed or the process is gone. */
  write(text: string): Promise<void>;
  closeStdin(): void;
  /** Stops it (SIGINT → SIGTERM → SIGKILL); the exit reports "cancelled" with this reason. */
  terminate(reason: string): void;
  /**
   * While held (counted), silence is not idleness: the process waits for us (a question put to a
   * person). The idle limit counts again from the last release.
   */
  holdIdle(): () => void;
}

const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const UNREAD_LINES_HIGH_WATER_MARK = 8 * 1024 * 1024;
/** How long output pipes may stay open after every known process is gone (an escapee holds them). */
const MIN_PIPE_DRAIN_MS = 200;
const NO_ENV: Readonly<Record<string, string>> = Object.freeze({});

export function superviseProcess(spec: ProcessSpec): SupervisedProcess {
  return new Supervisor(spec);
}

/**
 * - starting: asked to spawn, no pid yet (a stop requested now applies once there is one)
 * - running → stopping (escalating) → cleaning_up (it exited: leftovers, output drain) → done
 */
type State = "starting" | "running" | "stopping" | "cleaning_up" | "done";

type Stop = { kind: Termination; message: string };

/** Per output stream: lines are split from bytes, chunks are decoded and redacted as a stream. */
type StreamReader =
  | { mode: "lines"; splitter: LineSplitter }
  | { mode: "chunks"; redactor: StreamRedactor; decoder: StringDecoder | undefined };

class Supervisor implements SupervisedProcess {
  readonly exited: Promise<ProcessExit>;
  readonly started: Promise<number | undefined>;

  readonly #spec: ProcessSpec;
  readonly #leftovers: LeftoverPolicy;
  readonly #onChunk: ((stream: OutputStream, text: string) => void) | undefined;
  readonly #startedAt = performance.now();
  readonly #transcript: Transcript;
  /** Created with the first output: a process that prints nothing costs none of this. */
  #redact: Redactor | undefined;
  readonly #readers: Partial<Record<OutputStream, StreamReader>> = {};
  #resolveExit!: (exit: ProcessExit) => void;
  #resolveStarted!: (pid: number | undefined) => void;
  #pid: number | undefined;
  #child: Spawned | undefined;
  #state: State = "starting";
  /** A stop requested while starting. */
  #pendingStop: Stop | undefined;
  #termination: Stop | undefined;
  #escalation: Escalation | undefined;
  /** The process and its descendants as they were just before we started signalling them. */
  #tree: ProcessInfo[] = [];
  #wallTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #paused = false;
  #idleHolds = 0;
  #stdinClosed = false;
  #removeAbortListener: (() => void) | undefined;
  /** Output that arrived before the spawner told us the pid (a helper's messages can overtake). */
  #early: [OutputStream, Buffer | string][] | undefined;
  #outputBytes = 0;
  #lineCut = false;
  /** Both output pipes have closed. */
  #outputClosed = false;
  /** With "lines" output only. */
  readonly #lineQueue: LineQueue<OutputLine> | undefined;

  constructor(spec: ProcessSpec) {
    if (spec.marker === "") throw new Error("superviseProcess: the attempt marker must not be empty");
    this.#spec = spec;
    const strategy = spec.strategy ?? {};
    this.#leftovers = strategy.leftovers ?? "scan";
    const output = strategy.output ?? "lines";
    this.#onChunk = output === "lines" ? undefined : output.chunks;
    this.#transcript = new Transcript(spec.transcriptPath, spec.maxOutputBytes);
    if (this.#onChunk === undefined) {
      this.#lineQueue = new LineQueue<OutputLine>({
        highWaterMark: UNREAD_LINES_HIGH_WATER_MARK,
        onPause: () => this.#setPaused(true),
        onResume: () => this.#setPaused(false),
      });
    }
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
    this.started = new Promise((resolve) => (this.#resolveStarted = resolve));

    const { signal } = spec;
    if (signal?.aborted) {
      this.#endWithoutProcess("cancelled", abortMessage(signal));
      return;
    }
    if (signal) {
      const onAbort = (): void => this.#requestStop({ kind: "cancelled", message: abortMessage(signal) });
      signal.addEventListener("abort", onAbort, { once: true });
      this.#removeAbortListener = () => signal.removeEventListener("abort", onAbort);
    }
    const spawner = strategy.spawner ?? IN_PROCESS_SPAWNER;
    void spawner.spawn({
      file: spec.file,
      args: spec.args,
      cwd: spec.cwd,
      baseEnv: spec.sharedEnv ?? NO_ENV,
      // Variables set to undefined are left out by spawn (and by JSON on the way to a helper).
      env: { ...spec.env, [ATTEMPT_MARKER_VARIABLE]: spec.marker },
      stdin: spec.stdin ?? "ignore",
    }, (stream, data) => this.#onOutput(stream, data)).then(
      (child) => this.#onSpawned(child),
      (e: unknown) => this.#onSpawnFailed(describeSpawnFailure(spec.file, spec.cwd, e)),
    );
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get lines(): AsyncIterable<OutputLine> {
    if (this.#lineQueue) return this.#lineQueue;
    // Chunk output: nothing, once the output has ended.
    const exited = this.exited;
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<OutputLine>> => {
          await exited;
          return { value: undefined, done: true };
        },
      }),
    };
  }

  async write(text: string): Promise<void> {
    if (this.#spec.stdin !== "pipe") throw new Error('write() needs a process started with stdin: "pipe"');
    // Writes made while it starts go out, in order, once it runs.
    await this.started;
    const child = this.#child;
    if (!child || this.#stdinClosed || this.#state === "cleaning_up" || this.#state === "done") {
      throw new Error(`the stdin of ${this.#spec.file} is closed`);
    }
    return child.write(text);
  }

  closeStdin(): void {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    this.#child?.closeStdin();
  }

  terminate(reason: string): void {
    this.#requestStop({ kind: "cancelled", message: reason });
  }

  #newReader(): StreamReader {
    return this.#onChunk
      ? { mode: "chunks", redactor: new StreamRedactor(this.#spec.redact), decoder: undefined }
      : { mode: "lines", splitter: new LineSplitter(this.#spec.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES) };
  }

  #onSpawned(child: Spawned): void {
    this.#child = child;
    this.#pid = child.pid;
    this.#state = "running";
    void child.exited.then(({ code, signal }) => this.#onExit(code, signal));
    // Attached after the exit's handler: when both come at once (a helper reports them together),
    // this one runs before the exit handler's first await resumes.
    void child.closed.then(() => (this.#outputClosed = true));
    if (this.#paused) child.pause();
    if (this.#stdinClosed) child.closeStdin();
    this.#startTimers();
    try {
      this.#spec.onSpawn?.(child.pid);
    } catch (e) {
      this.#requestStop({ kind: "cancelled", message: `onSpawn failed: ${errorMessage(e)}` });
    }
    this.#resolveStarted(child.pid);
    const early = this.#early;
    this.#early = undefined;
    for (const [stream, data] of early ?? []) this.#onOutput(stream, data);
    const pending = this.#pendingStop;
    this.#pendingStop = undefined;
    if (pending) this.#requestStop(pending);
  }

  #onSpawnFailed(failure: SpawnFailure): void {
    this.#endWithoutProcess("spawn_failed", failure.message, failure.reason);
  }

  #onOutput(stream: OutputStream, data: Buffer | string): void {
    if (this.#state === "starting") {
      (this.#early ??= []).push([stream, data]);
      return;
    }
    if (this.#state === "done") return;
    this.#outputBytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
    if (!this.#paused && this.#idleHolds === 0) this.#idleTimer?.refresh();
    const reader = (this.#readers[stream] ??= this.#newReader());
    if (reader.mode === "lines") {
      this.#deliverLines(stream, reader.splitter.push(typeof data === "string" ? Buffer.from(data) : data));
    } else {
      const text = typeof data === "string" ? data : (reader.decoder ??= new StringDecoder("utf8")).write(data);
      this.#deliverChunk(stream, reader.redactor.push(text));
    }
  }

  /** Both streams have ended: what the readers held back. */
  #endOutput(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      const reader = this.#readers[stream];
      if (reader === undefined) continue;
      if (reader.mode === "lines") this.#deliverLines(stream, reader.splitter.end());
      else this.#deliverChunk(stream, reader.redactor.push(reader.decoder?.end() ?? "") + reader.redactor.end());
    }
  }

  #deliverLines(stream: OutputStream, lines: SplitLine[]): void {
    for (const line of lines) {
      const text = (this.#redact ??= redactor(this.#spec.redact))(line.text);
      this.#transcript.write(line.terminated ? `${text}\n` : text);
      if (line.truncated) this.#lineCut = true;
      this.#lineQueue?.push({ stream, text, truncated: line.truncated });
    }
  }

  #deliverChunk(stream: OutputStream, text: string): void {
    if (text === "") return;
    this.#transcript.write(text);
    this.#onChunk?.(stream, text);
  }

  #startTimers(): void {
    const { timeoutMs } = this.#spec;
    // Timers are unref'd: the child process keeps the event loop alive while it runs.
    if (timeoutMs !== undefined) {
      this.#wallTimer = setTimeout(() => this.#requestStop({ kind: "timed_out", message: `timed out after ${timeoutMs} ms` }), timeoutMs).unref();
    }
    this.#armIdleTimer();
  }

  holdIdle(): () => void {
    this.#idleHolds++;
    clearTimeout(this.#idleTimer);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#idleHolds === 0 && !this.#paused) this.#armIdleTimer();
    };
  }

  #armIdleTimer(): void {
    const idleTimeoutMs = this.#spec.idleTimeoutMs;
    if (idleTimeoutMs === undefined || this.#state !== "running" || this.#idleHolds > 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () => this.#requestStop({ kind: "idle_timeout", message: `no output for ${idleTimeoutMs} ms` }),
      idleTimeoutMs,
    ).unref();
  }

  /** Paused because the reader of `lines` fell behind: the silence is ours, not the process's. */
  #setPaused(paused: boolean): void {
    if (this.#state === "cleaning_up" || this.#state === "done") return;
    this.#paused = paused;
    if (paused) this.#child?.pause();
    else this.#child?.resume();
    if (paused) clearTimeout(this.#idleTimer);
    else if (this.#idleHolds === 0) this.#armIdleTimer();
  }

  #requestStop(stop: Stop): void {
    if (this.#state === "starting") this.#pendingStop ??= stop;
    else this.#beginTermination(stop);
  }

  #beginTermination(stop: Stop): void {
    if (this.#state !== "running" || this.#pid === undefined) return;
    this.#state = "stopping";
    this.#termination = stop;
    this.#clearTimers();
    // Taken before the first signal: once the process dies its children are re-parented to init
    // and the ppid links that make unmarked descendants (env -i) findable are gone.
    this.#tree = findAttemptProcesses({ markers: [this.#spec.marker], processGroups: [this.#pid] });
    this.#escalation = escalateGroupKill(this.#pid, this.#spec.killGraceMs);
  }

  async #onExit(exitCode: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const pid = this.#pid;
    if (this.#state === "cleaning_up" || this.#state === "done" || pid === undefined) return;
    this.#state = "cleaning_up";
    this.#clearTimers();
    this.#escalation?.cancel();
    if (this.#paused) this.#child?.resume();

    const errors: string[] = [];
    let leftovers: ProcessInfo[] = [];
    let forcedLeftovers = false;
    const { marker, killGraceMs } = this.#spec;
    // With a sweeper, the full scan is for an attempt we stopped ourselves or one that left
    // something in its group; otherwise its marker waits for the next sweep.
    const sweeper = this.#leftovers === "scan" ? undefined : this.#leftovers;
    if (sweeper && this.#tree.length === 0 && !isGroupAlive(pid)) {
      sweeper.add(marker, killGraceMs);
    } else {
      try {
        const stopped = await stopAttemptProcesses({ markers: [marker], processGroups: [pid], known: this.#tree }, killGraceMs);
        leftovers = stopped.stopped;
        forcedLeftovers = stopped.forced;
      } catch (e) {
        errors.push(`could not stop the processes it left behind: ${errorMessage(e)}`);
      }
    }
    await this.#drainOutput();
    this.#endOutput();
    this.#lineQueue?.end();
    const transcriptError = this.#transcript.close();
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
    const child = this.#child;
    // The usual case, a process whose pipes closed with its exit: no timer to set and clear.
    await Promise.resolve();
    if (!child || this.#outputClosed) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(this.#spec.killGraceMs, MIN_PIPE_DRAIN_MS));
    });
    const timedOut = await Promise.race([child.closed.then(() => false), gaveUp]);
    clearTimeout(timer);
    if (timedOut) {
      // An escapee holds the pipes (with a sweeper, the sweep stops it): stop reading.
      child.abandonOutput();
      await child.closed;
    }
  }

  #endWithoutProcess(termination: Termination, error: string, spawnFailure?: SpawnFailure["reason"]): void {
    if (this.#state === "done") return;
    this.#state = "done";
    this.#clearTimers();
    this.#lineQueue?.end();
    this.#resolveStarted(undefined);
    const transcriptError = this.#transcript.close();
    this.#resolveExit({
      exitCode: null,
      signal: null,
      termination,
      forced: false,
      leftovers: [],
      outputTruncated: false,
      outputBytes: 0,
      durationMs: Math.round(performance.now() - this.#startedAt),
      error: transcriptError === undefined ? error : `${error}; ${transcriptError}`,
      ...(spawnFailure ? { spawnFailure } : {}),
    });
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
