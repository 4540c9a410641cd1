// Start-up reconciliation. Only one writer can hold the project (the writer lock), so when a process
// holds it, any task still "in progress" or attempt still "running" belongs to a Viable that died
// (kill -9, OOM, reboot). Such tasks are recorded as failed ("interrupted"), and whatever their
// agents left running — recorded process groups and every process carrying an attempt marker — is
// reaped, so no orphan keeps editing the tree or spending tokens.

import { warmMarkerPrefix } from "../agents/runtimes.ts";
import { readProcessTable } from "../process/process-tree.ts";
import { auditMarker } from "../audit/verification.ts";
import { reapMarked } from "../process/reaper.ts";
import { stopProcesses } from "../process/stop-processes.ts";
import type { Store } from "../store/store.ts";
import { finishAttempt, runningAttempts, tasksInProgress, updateTask } from "../store/tasks.ts";

export interface Reconciliation {
  interruptedTasks: string[];
  interruptedAttempts: string[];
  reaped: { pid: number; marker: string; command: string }[];
}

export async function reconcile(store: Store, graceMs: number): Promise<Reconciliation> {
  if (!store.isWriter) throw new Error("reconcile needs the writer lock");
  // Warm processes (started ahead of need) of a Viable that died belong to no attempt: reap by prefix.
  const warm = readProcessTable().filter((p) => p.marker?.startsWith(`${warmMarkerPrefix(store.paths.root)}-`));
  if (warm.length > 0) {
    await stopProcesses(warm, graceMs);
    store.transition({ event_type: "orphans_reaped", data: { processes: warm.map((p) => ({ pid: p.pid, marker: p.marker ?? "", command: p.command })), warm_pool: true } });
  }
  const attempts = runningAttempts(store.db);
  const tasks = tasksInProgress(store.db).filter((t) => t.owner_pid !== process.pid);
  const result: Reconciliation = { interruptedTasks: [], interruptedAttempts: [], reaped: [] };
  if (attempts.length === 0 && tasks.length === 0) return result;

  // An interrupted task's S3* checks (a test suite, say) carry its audit marker, not an attempt's.
  result.reaped = await reapMarked([...attempts.map((a) => a.id), ...tasks.map((t) => auditMarker(t.id))], { graceMs });
  if (result.reaped.length > 0) {
    store.transition({ event_type: "orphans_reaped", data: { processes: result.reaped } });
  }
  for (const a of attempts) {
    store.transition(
      { event_type: "agent_error", task_id: a.task_id, agent: `s1-${a.agent}`, data: { attempt_id: a.id, status: "interrupted", error: "interrupted: Viable stopped while the agent was running" } },
      () => finishAttempt(store.db, a.id, "interrupted", store.timestamp(), null),
    );
    result.interruptedAttempts.push(a.id);
  }
  for (const t of tasks) {
    const reason = "interrupted: the Viable process running this task stopped before it finished";
    store.atomically(() => {
      store.log.append({ event_type: "task_interrupted", task_id: t.id, data: { owner_pid: t.owner_pid, session_id: t.session_id } });
      store.log.append({ event_type: "task_failed", task_id: t.id, data: { reason, status: "interrupted" } });
      updateTask(store.db, t.id, { status: "failed", updated_at: store.timestamp(), failure_reason: reason, owner_pid: null });
    });
    result.interruptedTasks.push(t.id);
  }
  return result;
}
