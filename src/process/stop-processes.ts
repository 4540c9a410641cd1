// Stopping an attempt's leftover processes: SIGTERM to each process and its group, then SIGKILL to
// whatever is still alive after the grace period. A process may fork while we kill its parent, so
// the search is repeated until it comes back empty (or we give up after a few rounds).

import { setTimeout as sleep } from "node:timers/promises";
import { type AttemptSelector, type ProcessInfo, findAttemptProcesses, isSameProcessAlive, readProcess } from "./process-tree.ts";

export interface StopResult {
  /** Every process that was signalled, in the order found. */
  stopped: ProcessInfo[];
  /** True when some process ignored SIGTERM for the whole grace period and needed SIGKILL. */
  forced: boolean;
}

const MAX_ROUNDS = 5;
const POLL_MS = 10;
/** SIGKILL cannot be caught; this only covers the kernel's own time to tear a process down. */
const SIGKILL_WAIT_MS = 2000;

export async function stopAttemptProcesses(selector: AttemptSelector, graceMs: number): Promise<StopResult> {
  const result: StopResult = { stopped: [], forced: false };
  const seen = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = findAttemptProcesses(selector);
    if (found.length === 0) break;
    const { forced } = await stopProcesses(found, graceMs);
    result.forced ||= forced;
    for (const p of found) {
      const key = `${p.pid}@${p.startTime}`;
      if (!seen.has(key)) result.stopped.push(p);
      seen.add(key);
    }
  }
  return result;
}

export async function stopProcesses(processes: readonly ProcessInfo[], graceMs: number): Promise<{ forced: boolean }> {
  signalAll(processes, "SIGTERM");
  await waitUntilGone(processes, graceMs);
  const remaining = processes.filter(isSameProcessAlive);
  if (remaining.length === 0) return { forced: false };
  signalAll(remaining, "SIGKILL");
  await waitUntilGone(remaining, SIGKILL_WAIT_MS);
  return { forced: true };
}

function signalAll(processes: readonly ProcessInfo[], signal: NodeJS.Signals): void {
  const ownGroup = readProcess(process.pid)?.pgid;
  const groups = new Set<number>();
  for (const p of processes) {
    if (p.pid === process.pid || !isSameProcessAlive(p)) continue;
    sendSignal(p.pid, signal);
    // Never our own group: that would take Viable (and the user's shell job) down with it.
    if (p.pgid > 1 && p.pgid !== ownGroup) groups.add(p.pgid);
  }
  for (const group of groups) sendSignal(-group, signal);
}

/**
 * Signals a process (or with a negative id, a group). One that is already gone (ESRCH) or not ours
 * to signal (EPERM) is not an error: there is nothing more a caller could do about either.
 */
export function sendSignal(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ESRCH" && code !== "EPERM") throw e;
  }
}

/**
 * Whether any process is left in a process group: one system call, no /proc. A group outlives its
 * leader while any member runs, and the id cannot be reused until the last one is gone.
 */
export function isGroupAlive(pgid: number): boolean {
  // Asked after every exit, and the answer is nearly always "no" (ESRCH): the error's stack trace
  // would cost more than the system call.
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

async function waitUntilGone(processes: readonly ProcessInfo[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processes.some(isSameProcessAlive) && Date.now() < deadline) await sleep(POLL_MS);
}
