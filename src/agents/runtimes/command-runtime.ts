// The `command` runtime: any program as an agent. The agent's `command` runs with `sh -c` in the
// workspace, the prompt on stdin and in VIABLE_PROMPT. It has no protocol, so its outcome is its
// exit status; its output goes to the transcript and its last line becomes the summary.

import type { AgentEvent, AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome, ZERO_USAGE } from "../../domain/outcome.ts";
import { abortReason } from "../../domain/errors.ts";
import type { Runtime, RunRequest } from "../../domain/runtime.ts";
import { scrubbedEnv } from "../../process/environment.ts";
import type { ProcessExit } from "../../process/process-exit.ts";
import { superviseProcess } from "../../process/supervise-process.ts";

/** Variables a command agent may rely on beyond the base allowlist. */
const COMMAND_ENV_ALLOWED: readonly (string | RegExp)[] = [/^VIABLE_/, "CI", "EDITOR", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"];

const SUMMARY_CHARS = 300;

export const commandRuntime: Runtime = {
  name: "command",
  async *run(req: RunRequest): AsyncGenerator<AgentEvent> {
    if (!req.command) {
      yield { type: "finished", outcome: failedOutcome("the agent has no `command` (the command runtime needs one)") };
      return;
    }
    const proc = superviseProcess({
      file: "/bin/sh",
      args: ["-c", req.command],
      cwd: req.cwd,
      env: { ...scrubbedEnv(process.env, COMMAND_ENV_ALLOWED), ...req.env },
      stdin: { text: req.prompt },
      marker: req.attemptId,
      signal: req.signal,
      timeoutMs: req.limits.timeoutMs,
      ...(req.limits.idleTimeoutMs !== undefined ? { idleTimeoutMs: req.limits.idleTimeoutMs } : {}),
      killGraceMs: req.limits.killGraceMs,
      maxOutputBytes: req.limits.maxOutputBytes,
      transcriptPath: req.transcriptPath,
      ...(req.onSpawn ? { onSpawn: req.onSpawn } : {}),
    });
    if (proc.pid !== undefined) yield { type: "started", pid: proc.pid, pgid: proc.pid, command: req.command };
    let lastLine = "";
    const stderrTail: string[] = [];
    for await (const line of proc.lines) {
      const text = line.text.trim();
      if (!text) continue;
      if (line.stream === "stdout") lastLine = text;
      else {
        stderrTail.push(text);
        if (stderrTail.length > 5) stderrTail.shift();
      }
    }
    const exit = await proc.exited;
    yield { type: "finished", outcome: outcomeOf(exit, req, lastLine, stderrTail) };
  },
};

function outcomeOf(exit: ProcessExit, req: RunRequest, lastLine: string, stderrTail: string[]): AttemptOutcome {
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
    case "spawn_failed":
      return { ...base, status: "failed", retryable: false, summary: `could not start: ${exit.error ?? "spawn failed"}`, error: exit.error ?? "spawn failed" };
    case "timed_out":
      return { ...base, status: "timed_out", retryable: true, summary: `timed out after ${seconds(req.limits.timeoutMs)}`, error: `no result within ${seconds(req.limits.timeoutMs)}; the process group was stopped${exit.forced ? " (SIGKILL was needed)" : ""}` };
    case "idle_timeout":
      return { ...base, status: "timed_out", retryable: true, summary: `no output for ${seconds(req.limits.idleTimeoutMs)}`, error: `idle for ${seconds(req.limits.idleTimeoutMs)}; the process group was stopped` };
    case "cancelled":
      return { ...base, status: "cancelled", retryable: false, summary: "cancelled", error: abortReason(req.signal) };
    case "exited":
      break;
  }
  if (exit.exitCode === 0) return { ...base, status: "succeeded", retryable: false, summary: clip(lastLine || "exited 0") };
  const detail = stderrTail.at(-1) ?? lastLine;
  // sh reports a missing program as 127 and an unexecutable one as 126.
  const why = exit.exitCode === 127 ? `command not found: ${detail || req.command}`
    : exit.exitCode === 126 ? `command cannot be executed: ${detail || req.command}`
    : exit.signal ? `killed by ${exit.signal}` : `exited ${exit.exitCode}${detail ? `: ${detail}` : ""}`;
  return { ...base, status: "failed", retryable: false, summary: clip(why), error: why };
}
