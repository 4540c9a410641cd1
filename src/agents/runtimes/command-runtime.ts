// The `command` runtime: any program as an agent. The agent's `command` runs in the workspace with
// the prompt on stdin and in VIABLE_PROMPT, the scrubbed environment and the attempt marker, under
// the supervisor (process/supervise-process.ts) with all its guarantees. It has no protocol, so its
// outcome is its exit status; its output goes to the transcript (secrets masked) and its last line
// becomes the summary.
//
// A command that is only plain words runs without `sh -c` (see plainCommand): one process fewer per
// attempt, and it is reported as the shell would (127 when the program is not found).
//
// How its processes are started and their leftovers found is a strategy: `viable run` uses the
// supervisor's defaults (forked here, /proc scanned at every exit, output as lines); the plan loop,
// which starts thousands of short agents from a big process, uses loopCommandStrategy() (forked by
// helper processes, leftovers probed per exit and swept by marker once a second, output as chunks).

import type { AgentEvent, AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome, ZERO_USAGE } from "../../domain/outcome.ts";
import { abortReason } from "../../domain/errors.ts";
import type { Runtime, RunRequest } from "../../domain/runtime.ts";
import { scrubbedEnv } from "../../process/environment.ts";
import { LeftoverSweeper } from "../../process/leftover-sweeper.ts";
import type { ProcessExit } from "../../process/process-exit.ts";
import { secretValues } from "../../process/redact.ts";
import { HelperPool, IN_PROCESS_SPAWNER, type Spawner } from "../../process/spawner.ts";
import { type LeftoverPolicy, type OutputStream, superviseProcess } from "../../process/supervise-process.ts";

/** Variables a command agent may rely on beyond the base allowlist. */
const COMMAND_ENV_ALLOWED: readonly (string | RegExp)[] = [/^VIABLE_/, "CI", "EDITOR", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"];

const SUMMARY_CHARS = 300;
/** Output kept per stream to find the last line in; chunks are not split into lines. */
const TAIL_CHARS = 4096;

export interface CommandStrategy {
  /** Default: this process. */
  spawner?: Spawner;
  /** Default "scan". */
  leftovers?: LeftoverPolicy;
  /** Default "lines": the supervisor splits the output (and caps each line); "chunks": it does not. */
  output?: "lines" | "chunks";
}

export interface CommandRuntime extends Runtime {
  readonly name: "command";
  /** Closes its spawner and sweeper (the final sweep: no leftover of an ended attempt survives it). */
  close(): Promise<void>;
}

/**
 * The plan loop's: helper processes, a leftover sweeper, output as chunks. Fresh helpers and
 * sweeper unless given (the runtime resolver shares its own with the loop's checks).
 */
export function loopCommandStrategy(shared: { spawner: Spawner; leftovers: LeftoverSweeper } = { spawner: new HelperPool(), leftovers: new LeftoverSweeper() }): CommandStrategy {
  return { ...shared, output: "chunks" };
}

/** The runtime owns the strategy's spawner and sweeper: its close() closes them. */
export function createCommandRuntime(strategy: CommandStrategy = {}, env: NodeJS.ProcessEnv = process.env): CommandRuntime {
  const spawner = strategy.spawner ?? IN_PROCESS_SPAWNER;
  const leftovers = strategy.leftovers ?? "scan";
  const chunks = strategy.output === "chunks";
  // One object for every attempt: a helper spawner receives it once.
  const baseEnv = scrubbedEnv(env, COMMAND_ENV_ALLOWED);
  const baseSecrets = secretValues(baseEnv);

  return {
    name: "command",
    close: async () => {
      spawner.close();
      if (leftovers !== "scan") await leftovers.close();
    },
    async *run(req: RunRequest): AsyncGenerator<AgentEvent> {
      if (!req.command) {
        yield { type: "finished", outcome: failedOutcome("the agent has no `command` (the command runtime needs one)") };
        return;
      }
      if (req.signal.aborted) {
        yield { type: "finished", outcome: { ...failedOutcome("cancelled before it started"), status: "cancelled" } };
        return;
      }
      const direct = plainCommand(req.command);
      const tails = { stdout: new LastLine(), stderr: new LastLine() };
      const proc = superviseProcess({
        file: direct?.[0] ?? "/bin/sh",
        args: direct?.slice(1) ?? ["-c", req.command],
        cwd: req.cwd,
        sharedEnv: baseEnv,
        env: req.env,
        stdin: { text: req.prompt },
        marker: req.attemptId,
        signal: req.signal,
        timeoutMs: req.limits.timeoutMs,
        ...(req.limits.idleTimeoutMs !== undefined ? { idleTimeoutMs: req.limits.idleTimeoutMs } : {}),
        killGraceMs: req.limits.killGraceMs,
        maxOutputBytes: req.limits.maxOutputBytes,
        transcriptPath: req.transcriptPath,
        redact: withSecretsOf(req.env, baseSecrets),
        ...(req.onSpawn ? { onSpawn: req.onSpawn } : {}),
        strategy: {
          spawner,
          leftovers,
          output: chunks ? { chunks: (stream: OutputStream, text: string) => tails[stream].pushChunk(text) } : "lines",
        },
      });
      const pid = await proc.started;
      // Every listener is in place before the consumer gets control back.
      if (pid !== undefined) yield { type: "started", pid, pgid: pid, command: req.command };
      if (!chunks) for await (const line of proc.lines) tails[line.stream].pushLine(line.text);
      const exit = await proc.exited;
      yield { type: "finished", outcome: outcomeOf(exit, req, direct, tails.stdout.value, tails.stderr.value) };
    },
  };
}

function withSecretsOf(env: Record<string, string>, secrets: readonly string[]): readonly string[] {
  const more = secretValues(env);
  return more.length === 0 ? secrets : [...secrets, ...more];
}

function outcomeOf(exit: ProcessExit, req: RunRequest, direct: string[] | null, lastLine: string, stderrLine: string): AttemptOutcome {
  const base = {
    exitCode: exit.exitCode,
    signal: exit.signal,
    usage: { ...ZERO_USAGE },
    durationMs: exit.durationMs,
    outputTruncated: exit.outputTruncated,
  };
  const clip = (s: string) => (s.length > SUMMARY_CHARS ? `${s.slice(0, SUMMARY_CHARS)}…` : s);
  const seconds = (ms: number | undefined) => `${Math.round((ms ?? 0) / 100) / 10}s`;
  switch (exit.termination) {
    case "spawn_failed": {
      // Run without the shell, a missing or unexecutable program is reported as sh would have.
      const program = direct?.[0];
      if (program !== undefined && exit.spawnFailure === "not_found") {
        const why = `command not found: ${program}`;
        return { ...base, exitCode: 127, status: "failed", retryable: false, summary: clip(why), error: why };
      }
      if (program !== undefined && exit.spawnFailure === "not_executable") {
        const why = `command cannot be executed: ${program}`;
        return { ...base, exitCode: 126, status: "failed", retryable: false, summary: clip(why), error: why };
      }
      const error = exit.error ?? "spawn failed";
      return { ...base, status: "failed", retryable: false, summary: clip(`could not start: ${error}`), error: `could not start: ${error}` };
    }
    case "timed_out":
      return { ...base, status: "timed_out", retryable: true, summary: `timed out after ${seconds(req.limits.timeoutMs)}`, error: `no result within ${seconds(req.limits.timeoutMs)}; the process group was stopped${exit.forced ? " (SIGKILL was needed)" : ""}` };
    case "idle_timeout":
      return { ...base, status: "timed_out", retryable: true, summary: `no output for ${seconds(req.limits.idleTimeoutMs)}`, error: `idle for ${seconds(req.limits.idleTimeoutMs)}; the process group was stopped` };
    case "cancelled":
      return { ...base, status: "cancelled", retryable: false, summary: "cancelled", error: req.signal.aborted ? abortReason(req.signal) : exit.error ?? "cancelled" };
    case "exited":
      break;
  }
  let outcome: AttemptOutcome;
  if (exit.exitCode === 0) {
    outcome = { ...base, status: "succeeded", retryable: false, summary: clip(lastLine || "exited 0") };
  } else {
    const detail = stderrLine || lastLine;
    // sh reports a missing program as 127 and an unexecutable one as 126.
    const why = exit.exitCode === 127 ? `command not found: ${detail || req.command}`
      : exit.exitCode === 126 ? `command cannot be executed: ${detail || req.command}`
      : exit.signal ? `killed by ${exit.signal}` : `exited ${exit.exitCode}${detail ? `: ${detail}` : ""}`;
    outcome = { ...base, status: "failed", retryable: false, summary: clip(why), error: why };
  }
  // Something else went wrong: leftovers that could not be stopped, a transcript that could not be written.
  if (exit.error !== undefined) outcome.error = outcome.error ? `${outcome.error}; ${exit.error}` : exit.error;
  return outcome;
}

/** The last non-empty line of a stream, from its lines or from its last few KiB of chunks. */
class LastLine {
  #tail = "";

  pushLine(text: string): void {
    if (text.trim() !== "") this.#tail = text;
  }

  pushChunk(text: string): void {
    this.#tail = (this.#tail + text).slice(-TAIL_CHARS);
  }

  get value(): string {
    const lines = this.#tail.split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const t = lines[i]!.trim();
      if (t !== "") return t;
    }
    return "";
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
