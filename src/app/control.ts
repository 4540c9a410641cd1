// Use cases of S5's controls over a project: the kill switch (`viable stop` / `viable resume`) and
// `viable reset`.

import { warmMarker } from "../agents/warm-marker.ts";
import { loadConfig, loadConfigLeniently, storeUrl } from "../config/config.ts";
import { engageKillSwitch, KILL_SIGNAL, releaseKillSwitch } from "../engine/kill-switch.ts";
import { markersOf } from "../engine/reconcile.ts";
import { isProcessAlive, readProcessTable } from "../process/process-tree.ts";
import { stopAttemptProcesses, stopProcesses } from "../process/stop-processes.ts";
import type { KillSwitch } from "../store/records.ts";
import { openStore } from "../store/store.ts";
import { readHolder } from "../store/writer-lock.ts";
import { ensureStateIgnored, resolveProject } from "../workspace/project.ts";
import { withProject } from "./project.ts";

/** The signal `viable stop` sends to the process holding the project. */
export { KILL_SIGNAL };

export interface StopResult {
  /** The switch as engaged. */
  kill_switch: KillSwitch | null;
  /** Attempts that were running when the switch was engaged. */
  running_attempts: number;
  /** Processes stopped here because their Viable did not end them in time. */
  stopped_directly: number;
  /** The Viable process that held the project, if one did. */
  holder_pid: number | null;
}

/**
 * Engages the kill switch, tells the Viable working on the project (SIGUSR2) so it cancels its own
 * attempts and records why, then stops directly whatever is still running after the escalation
 * window. Works without the writer lock: the point is to reach a busy project.
 */
export async function stopProject(dir: string, reason: string, source = "cli"): Promise<StopResult> {
  const paths = await resolveProject(dir);
  const config = loadConfig(paths.configFile);
  await ensureStateIgnored(paths);
  const store = await openStore(paths, { writer: false, create: true, command: "stop", url: storeUrl(config) });
  try {
    await engageKillSwitch(store, reason, source);
    const running = await store.queries.runningAttempts();
    const holder = readHolder(paths.lockFile);
    if (holder && holder.pid !== process.pid && isProcessAlive(holder.pid)) process.kill(holder.pid, KILL_SIGNAL);
    const deadline = Date.now() + config.defaults.kill_grace_ms * 3 + 1000;
    while (Date.now() < deadline && (await store.queries.runningAttempts()).length > 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // What the holder did not end (it hung, or died): the attempts still recorded as running, and
    // any process of a task in progress, including an attempt whose row had not landed yet.
    const leftover = await store.queries.runningAttempts();
    const markers = markersOf(leftover, await store.queries.tasksInProgress());
    const { stopped } = await stopAttemptProcesses({ markers }, config.defaults.kill_grace_ms);
    // An attempt a warm process serves carries the pool's marker, not its own; with the switch
    // engaged no warm process has work to wait for.
    const prefix = `${warmMarker(paths.root).prefix}-`;
    const warm = leftover.length > 0 ? readProcessTable().filter((p) => p.marker?.startsWith(prefix)) : [];
    if (warm.length > 0) await stopProcesses(warm, config.defaults.kill_grace_ms);
    return { kill_switch: await store.queries.killSwitch(), running_attempts: running.length, stopped_directly: stopped.length + warm.length, holder_pid: holder?.pid ?? null };
  } finally {
    await store.close();
  }
}

/** Releases the kill switch; false when it was not engaged. */
export async function resumeProject(dir: string, source = "cli"): Promise<boolean> {
  const paths = await resolveProject(dir);
  const store = await openStore(paths, { writer: false, create: true, command: "resume", url: storeUrl(loadConfigLeniently(paths.configFile).config) });
  try {
    return await releaseKillSwitch(store, source);
  } finally {
    await store.close();
  }
}

export interface ResetResult {
  tasks: number;
  events: number;
  /** Items of the imported plan (0 when none was imported), and its session records. */
  planItems: number;
  sessions: number;
}

/** Deletes every recorded task, attempt, log entry and metric, and the plan with its sessions; says how many of each. */
export async function resetProject(dir: string): Promise<ResetResult> {
  return withProject(dir, { writer: true, command: "reset" }, async (p) => {
    const q = p.store.queries;
    const counts = await q.taskCounts();
    const result = {
      tasks: Object.values(counts).reduce((a, b) => a + b, 0), events: await q.eventCount(),
      planItems: (await q.plan())?.plan.items.length ?? 0, sessions: (await q.sessions()).length,
    };
    await p.store.reset();
    return result;
  });
}
