// How a supervised process ended. Expected endings (a timeout, a cancel, a command that is not
// installed) are values, not exceptions: the runtime above turns them into an attempt outcome.

import type { SpawnFailureReason } from "./spawn-error.ts";

export const TERMINATIONS = ["exited", "timed_out", "idle_timeout", "cancelled", "spawn_failed"] as const;
/**
 * - exited: it ended by itself (whatever its exit code or signal)
 * - timed_out: the wall-clock limit was reached and it was stopped
 * - idle_timeout: it printed nothing for too long and was stopped
 * - cancelled: the caller aborted or called terminate()
 * - spawn_failed: it never started
 * When several apply, the first one wins: a process that exits after the timeout stopped it timed out.
 */
export type Termination = (typeof TERMINATIONS)[number];

export interface LeftoverProcess {
  pid: number;
  command: string;
}

export interface ProcessExit {
  /** null when it was ended by a signal, or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  termination: Termination;
  /** True when something had to be stopped with SIGKILL (the process, its group, or a leftover). */
  forced: boolean;
  /**
   * Descendants still running once it had exited (background jobs, setsid'd tools); all were stopped.
   * With a LeftoverSweeper, processes that had left the group are stopped by the sweep instead, and
   * are not listed here.
   */
  leftovers: LeftoverProcess[];
  /** True when output was dropped: past the transcript cap, or a line past the line cap. */
  outputTruncated: boolean;
  /** Bytes it wrote to stdout and stderr, kept or not. */
  outputBytes: number;
  durationMs: number;
  /** Why it did not end by itself, or what else went wrong (a transcript that could not be written). */
  error?: string;
  /** With "spawn_failed": why it could not start. */
  spawnFailure?: SpawnFailureReason;
}
