// Start-up reconciliation. Only one writer can hold the project (the writer lock), so when a process
// holds it, any task still "in progress" or attempt still "running" belongs to a Viable that died
// (kill -9, OOM, reboot). Such tasks are recorded as failed ("interrupted"), and whatever their
// agents left running — recorded process groups and every process carrying an attempt marker or
// the task's own prefix — is reaped, so no orphan keeps editing the tree or spending tokens.

import { clearWarmFlag, warmFlagRaised, warmMarker } from "../agents/warm-marker.ts";
import { auditMarker } from "../audit/verification.ts";
import { readProcessTable } from "../process/process-tree.ts";
import { reapMarked } from "../process/reaper.ts";
import { stopProcesses } from "../process/stop-processes.ts";
import type { AttemptRecord, TaskRecord } from "../store/records.ts";
import type { Store } from "../store/store.ts";

export interface Reconciliation {
  interruptedTasks: string[];
  interruptedAttempts: string[];
  reaped: { pid: number; marker: string; command: string }[];
}

export async function reconcile(store: Store, graceMs: number): Promise<Reconciliation> {
  // With the file, only the lock's holder knows nobody else is writing. On Postgres each session's
  // liveness is known (Store.isSessionAlive), so a worker may close a dead one's records too.
  if (!store.isWriter && store.kind !== "postgres") throw new Error("reconcile needs the writer lock");
  const { journal, queries } = store;
  // Warm processes (started ahead of need) of a Viable that died belong to no attempt: reap by prefix.
  // Only when the flag says some may be alive: reading every process's environment takes a while.
  const marker = warmMarker(store.paths.root);
  if (warmFlagRaised(marker)) {
    const warm = readProcessTable().filter((p) => p.marker?.startsWith(`${marker.prefix}-`));
    if (warm.length > 0) {
      await stopProcesses(warm, graceMs);
      await journal.commit({ event: { event_type: "orphans_reaped", data: { processes: warm.map((p) => ({ pid: p.pid, marker: p.marker ?? "", command: p.command })), warm_pool: true } } });
    }
    clearWarmFlag(marker);
  }
  // On a shared store (Postgres) workers on other machines record too: only what a process that is
  // gone left in progress is reconciled, never the work of one still running.
  const alive = new Map<string, Promise<boolean>>();
  const sessionAlive = (id: string) => {
    let known = alive.get(id);
    if (known === undefined) alive.set(id, (known = store.isSessionAlive(id)));
    return known;
  };
  const taskAlive = async (taskId: string) => {
    const task = await queries.task(taskId);
    return task !== null && (task.owner_pid === process.pid || (await sessionAlive(task.session_id)));
  };
  const attempts = [];
  for (const a of await queries.runningAttempts()) if (!(await taskAlive(a.task_id))) attempts.push(a);
  const tasks = [];
  for (const t of await queries.tasksInProgress()) if (t.owner_pid !== process.pid && !(await sessionAlive(t.session_id))) tasks.push(t);
  const result: Reconciliation = { interruptedTasks: [], interruptedAttempts: [], reaped: [] };
  if (attempts.length === 0 && tasks.length === 0) return result;

  result.reaped = await reapMarked(markersOf(attempts, tasks), { graceMs });
  const reason = "interrupted: the Viable process running this task stopped before it finished";
  await journal.commit({
    events: [
      ...(result.reaped.length > 0 ? [{ event_type: "orphans_reaped" as const, data: { processes: result.reaped } }] : []),
      ...attempts.map((a) => ({ event_type: "agent_error" as const, task_id: a.task_id, agent: `s1-${a.agent}`, data: { attempt_id: a.id, status: "interrupted", error: "interrupted: Viable stopped while the agent was running" } })),
      ...tasks.flatMap((t) => [
        { event_type: "task_interrupted" as const, task_id: t.id, data: { owner_pid: t.owner_pid, session_id: t.session_id } },
        { event_type: "task_failed" as const, task_id: t.id, data: { reason, status: "interrupted" } },
      ]),
    ],
    changes: [
      ...attempts.map((a) => ({ type: "attempt_finished" as const, id: a.id, status: "interrupted" as const, endedAt: store.timestamp(), outcome: null })),
      ...tasks.map((t) => ({ type: "task_updated" as const, id: t.id, patch: { status: "failed" as const, updated_at: store.timestamp(), failure_reason: reason, owner_pid: null } })),
    ],
  });
  result.interruptedAttempts = attempts.map((a) => a.id);
  result.interruptedTasks = tasks.map((t) => t.id);
  return result;
}

/**
 * The markers of every process the attempts and tasks may have left. Every attempt's id starts
 * with its task's, so an attempt whose row never landed is found by the task's prefix; a task's
 * S3* checks (a test suite, say) carry its audit marker.
 */
export function markersOf(attempts: readonly Pick<AttemptRecord, "id">[], tasks: readonly Pick<TaskRecord, "id">[]): string[] {
  const prefixes = tasks.map((t) => `${t.id}-`);
  const markers = new Set([...attempts.map((a) => a.id), ...tasks.map((t) => auditMarker(t.id))]);
  for (const p of readProcessTable()) {
    if (p.marker !== undefined && prefixes.some((prefix) => p.marker!.startsWith(prefix))) markers.add(p.marker);
  }
  return [...markers];
}
