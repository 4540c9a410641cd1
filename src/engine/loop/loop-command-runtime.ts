// The `command` runtime as the plan loop runs it. Same contract and the same guarantees as the
// foundation's (agents/runtimes/command-runtime.ts over process/supervise-process.ts): `sh -c` in
// its own process group, the prompt on stdin and in VIABLE_PROMPT, the scrubbed environment, the
// attempt marker, wall-clock and idle limits and cancellation escalating SIGINT → SIGTERM → SIGKILL
// to the group, a capped transcript, and no descendant outliving its attempt.
//
// What differs: a command that is only plain words runs without `sh -c` (see plainCommand), and
// leftovers are looked for differently. The supervisor reads the whole of /proc after every
// exit (every process's stat, cmdline and environ) — several milliseconds of the event loop, more on
// a busy machine — which would dominate a plan of thousands of short items. Here each exit costs
// one syscall: is anything left in the attempt's process group? (If so it is stopped at once.)
// Processes that left the group (`setsid`) are found by their marker in `sweep()`, which the loop
// runs for all attempts that ended since the last sweep, at most once a second and at the end of
// the loop. A stray process thus lives up to a second longer than under the supervisor, and none
// survives the loop. When an attempt is stopped (timeout, cancel) the tree is read first, as the
// supervisor does, so that unmarked descendants (`env -i`) are found while their links still exist.

import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentEvent, AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome, ZERO_USAGE } from "../../domain/outcome.ts";
import { abortReason } from "../../domain/errors.ts";
import type { Runtime, RunRequest } from "../../domain/runtime.ts";
import { scrubbedEnv } from "../../process/environment.ts";
import { escalateGroupKill, type Escalation } from "../../process/escalation.ts";
import { ATTEMPT_MARKER_VARIABLE, findAttemptProcesses, type ProcessInfo } from "../../process/process-tree.ts";
import { sendSignal, stopAttemptProcesses, stopProcesses } from "../../process/stop-processes.ts";
import { HelperPool, type OnOutput, type Spawned, type Spawner } from "./spawner.ts";

/** The same allowlist as the foundation's command runtime. */
const COMMAND_ENV_ALLOWED: readonly (string | RegExp)[] = [/^VIABLE_/, "CI", "EDITOR", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"];
const SUMMARY_CHARS = 300;
const TAIL_CHARS = 4096;
const GROUP_POLL_MS = 10;

type Ending = { kind: "timed_out" | "idle_timeout" | "cancelled"; message: string };

export class LoopCommandRuntime implements Runtime {
  readonly name = "command" as const;
  readonly #baseEnv: Record<string, string>;
  /** Markers of attempts that ended since the last sweep. */
  #ended: string[] = [];

  readonly #spawner: Spawner;

  constructor(options: { env?: NodeJS.ProcessEnv; spawner?: Spawner } = {}) {
    this.#baseEnv = scrubbedEnv(options.env ?? process.env, COMMAND_ENV_ALLOWED);
    this.#spawner = options.spawner ?? new HelperPool();
  }

  /** Stops the helper processes that start the agents (spawner.ts); running agents are not affected. */
  async close(): Promise<void> {
    this.#spawner.close();
  }

  /** Attempts that ended and have not been swept yet. */
  get unswept(): number {
    return this.#ended.length;
  }

  /**
   * Stops every process still carrying the marker of an attempt that has ended (and their
   * descendants). One read of /proc for all of them.
   */
  async sweep(graceMs: number): Promise<ProcessInfo[]> {
    if (this.#ended.length === 0) return [];
    const markers = this.#ended;
    this.#ended = [];
    return (await stopAttemptProcesses({ markers }, graceMs)).stopped;
  }

  async *run(req: RunRequest): AsyncGenerator<AgentEvent> {
    if (!req.command) {
      yield { type: "finished", outcome: failedOutcome("the agent has no `command` (the command runtime needs one)") };
      return;
    }
    if (req.signal.aborted) {
      yield { type: "finished", outcome: { ...failedOutcome("cancelled before it started"), status: "cancelled" } };
      return;
    }
    const started = performance.now();
    const direct = plainCommand(req.command);
    const transcript = new LazyTranscript(req.transcriptPath, req.limits.maxOutputBytes);
    let stdoutTail = "";
    let stderrTail = "";
    let idle: NodeJS.Timeout | undefined;
    const onOutput: OnOutput = (stream, text) => {
      idle?.refresh();
      transcript.write(text);
      if (stream === "stdout") stdoutTail = (stdoutTail + text).slice(-TAIL_CHARS);
      else stderrTail = (stderrTail + text).slice(-TAIL_CHARS);
    };
    let child: Spawned;
    try {
      child = await this.#spawner.spawn({
        file: direct?.[0] ?? "/bin/sh",
        args: direct?.slice(1) ?? ["-c", req.command],
        cwd: req.cwd,
        baseEnv: this.#baseEnv,
        env: { ...req.env, [ATTEMPT_MARKER_VARIABLE]: req.attemptId },
        stdin: req.prompt,
      }, onOutput);
    } catch (e) {
      const why = fs.existsSync(req.cwd) ? (e instanceof Error ? e.message : String(e)) : `the directory ${req.cwd} does not exist`;
      yield { type: "finished", outcome: failedOutcome(`could not start: ${why}`) };
      return;
    }
    const pid = child.pid;
    req.onSpawn?.(pid);

    let ending: Ending | undefined;
    let escalation: Escalation | undefined;
    let tree: ProcessInfo[] = [];
    const stop = (e: Ending) => {
      if (ending) return;
      ending = e;
      // Before the first signal: once the shell dies its children lose their ppid link to it.
      tree = findAttemptProcesses({ markers: [req.attemptId], processGroups: [pid] });
      escalation = escalateGroupKill(pid, req.limits.killGraceMs);
    };
    const wall = setTimeout(() => stop({ kind: "timed_out", message: `no result within ${seconds(req.limits.timeoutMs)}` }), req.limits.timeoutMs).unref();
    const idleMs = req.limits.idleTimeoutMs;
    if (idleMs !== undefined) idle = setTimeout(() => stop({ kind: "idle_timeout", message: `no output for ${seconds(idleMs)}` }), idleMs).unref();
    const onAbort = () => stop({ kind: "cancelled", message: abortReason(req.signal) });
    if (req.signal.aborted) onAbort();
    else req.signal.addEventListener("abort", onAbort, { once: true });

    // Every listener is in place before the consumer gets control back.
    yield { type: "started", pid, pgid: pid, command: req.command };
    const { code: exitCode, signal } = await child.exited;
    clearTimeout(wall);
    clearTimeout(idle);
    req.signal.removeEventListener("abort", onAbort);
    escalation?.cancel();

    // Anything left in the group (a background job) is stopped now; a group that is empty costs
    // one kill(0). Pipes held open by such a job close once it is gone.
    let forced = escalation?.forced ?? false;
    if (groupAlive(pid)) forced = (await stopGroup(pid, req.limits.killGraceMs)) || forced;
    if (tree.length > 0) forced = (await stopProcesses(tree.filter((p) => p.pid !== pid), req.limits.killGraceMs)).forced || forced;
    let drained: NodeJS.Timeout | undefined;
    await Promise.race([child.closed, new Promise<void>((resolve) => {
      drained = setTimeout(() => {
        // A process that escaped the group holds the pipes: stop reading; the sweep finds it.
        child.abandonOutput();
        resolve();
      }, Math.max(req.limits.killGraceMs, 200));
    })]);
    clearTimeout(drained);
    this.#ended.push(req.attemptId);
    const transcriptError = await transcript.close();

    const base = {
      exitCode, signal, usage: { ...ZERO_USAGE }, durationMs: Math.round(performance.now() - started), outputTruncated: transcript.truncated,
    };
    const lastLine = lastNonEmptyLine(stdoutTail);
    const stderrLine = lastNonEmptyLine(stderrTail);
    const clip = (s: string) => (s.length > SUMMARY_CHARS ? `${s.slice(0, SUMMARY_CHARS)}…` : s);
    let outcome: AttemptOutcome;
    if (ending?.kind === "cancelled") {
      outcome = { ...base, status: "cancelled", retryable: false, summary: "cancelled", error: ending.message };
    } else if (ending) {
      outcome = { ...base, status: "timed_out", retryable: true, summary: ending.message, error: `${ending.message}; the process group was stopped${forced ? " (SIGKILL was needed)" : ""}` };
    } else if (exitCode === 0) {
      outcome = { ...base, status: "succeeded", retryable: false, summary: clip(lastLine || "exited 0") };
    } else {
      const detail = stderrLine || lastLine;
      const why = exitCode === 127 ? `command not found: ${detail || req.command}`
        : exitCode === 126 ? `command cannot be executed: ${detail || req.command}`
        : signal ? `killed by ${signal}` : `exited ${exitCode}${detail ? `: ${detail}` : ""}`;
      outcome = { ...base, status: "failed", retryable: false, summary: clip(why), error: why };
    }
    if (transcriptError !== undefined) outcome.error = outcome.error ? `${outcome.error}; ${transcriptError}` : transcriptError;
    yield { type: "finished", outcome };
  }
}

/**
 * Words that mean something to the shell itself: a command starting with one of them always goes
 * through `sh -c`, even when it has no other shell syntax.
 */
const SHELL_WORDS = new Set([
  ".", ":", "alias", "bg", "break", "case", "cd", "command", "continue", "do", "done", "elif", "else", "esac", "eval", "exec", "exit",
  "export", "fc", "fg", "fi", "for", "function", "getopts", "hash", "if", "jobs", "local", "read", "readonly", "return", "select", "set",
  "shift", "source", "then", "time", "times", "trap", "type", "ulimit", "umask", "unalias", "unset", "until", "wait", "while",
]);

/**
 * A command that is only plain words (no quotes, variables, globs, redirections, operators) runs
 * without the shell, as make runs such recipes: `sh -c` would do nothing but start it, and that is
 * one process fewer per attempt. Anything else is given to `sh -c` unchanged.
 */
export function plainCommand(command: string): string[] | null {
  if (!/^[A-Za-z0-9_./,:@+-]+(?: +[A-Za-z0-9_./,:@+=-]+)*$/.test(command.trim())) return null;
  const words = command.trim().split(/ +/);
  const first = words[0]!;
  if (SHELL_WORDS.has(first)) return null;
  return words;
}

function groupAlive(pgid: number): boolean {
  // Asked after every exit, and the answer is nearly always "no" (ESRCH): the error's stack trace
  // would cost more than the syscall.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** SIGTERM to the group, SIGKILL after the grace period; true when SIGKILL was needed. */
async function stopGroup(pgid: number, graceMs: number): Promise<boolean> {
  sendSignal(-pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(GROUP_POLL_MS);
  if (!groupAlive(pgid)) return false;
  sendSignal(-pgid, "SIGKILL");
  const killDeadline = Date.now() + 2000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(GROUP_POLL_MS);
  return true;
}

/**
 * A capped transcript that creates its file only when there is output: an agent that prints
 * nothing leaves no file, which at thousands of quiet items is thousands of files fewer.
 */
class LazyTranscript {
  readonly #file: string;
  readonly #max: number;
  #fd: number | undefined;
  #kept = 0;
  #error: string | undefined;
  truncated = false;

  constructor(file: string, max: number) {
    this.#file = file;
    this.#max = max;
  }

  get written(): boolean {
    return this.#fd !== undefined;
  }

  write(text: string): void {
    if (this.#error !== undefined) return;
    const bytes = Buffer.from(text, "utf8");
    const room = this.#max - this.#kept;
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, Math.max(0, room));
    if (kept.length < bytes.length) this.truncated = true;
    if (kept.length === 0) return;
    try {
      if (this.#fd === undefined) {
        fs.mkdirSync(path.dirname(this.#file), { recursive: true });
        this.#fd = fs.openSync(this.#file, "a");
      }
      // Agents' output is small next to what they do; a synchronous append keeps the order exact.
      fs.writeSync(this.#fd, kept);
      this.#kept += kept.length;
    } catch (e) {
      this.#error = `could not write the transcript ${this.#file}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  async close(): Promise<string | undefined> {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
    return this.#error;
  }
}

function lastNonEmptyLine(text: string): string {
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const t = lines[i]!.trim();
    if (t !== "") return t;
  }
  return "";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
