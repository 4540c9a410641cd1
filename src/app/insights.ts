// The dashboard's read-only views over a project's record: tasks with their VSM cycle steps, events
// page by page, viability metrics over time, and cost.

import { UserError } from "../domain/errors.ts";
import type { LogEntry } from "../domain/events.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import type { CostBreakdown } from "../store/cost.ts";
import type { LogQuery, TaskSummary } from "../store/event-log.ts";
import type { TaskRecord } from "../store/records.ts";
import { healthIssues } from "../viability/health.ts";
import { attemptView, type AttemptView } from "./items.ts";
import type { Project } from "./project.ts";

export type { CostBreakdown };

export type TaskView = Omit<TaskRecord, "session_id" | "owner_pid" | "metadata">;

function taskView(t: TaskRecord): TaskView {
  const { session_id: _s, owner_pid: _o, metadata: _m, ...rest } = t;
  return rest;
}

export async function recentTasks(p: Project, limit: number): Promise<TaskView[]> {
  return (await p.store.queries.recentTasks(limit)).map(taskView);
}

export async function taskDetail(p: Project, id: string): Promise<{ task: TaskView; summary: TaskSummary; steps: LogEntry[]; attempts: AttemptView[] }> {
  const task = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await p.store.queries.task(id) : null;
  if (!task) throw new UserError({ reason: "not_found", message: `the project has no task "${id}"`, fix: "pick a task id from the task list (`viable log`)" });
  const q = p.store.queries;
  return {
    task: taskView(task), summary: await q.taskSummary(id),
    // The cycle's steps are its own events; agents' streamed events stay in their transcripts.
    steps: (await q.events({ taskId: id, last: 2000 })).filter((e) => e.event_type !== "agent_event"),
    attempts: (await q.attemptsOfTask(id)).map((a) => attemptView(a, p.paths)),
  };
}

export async function eventPage(p: Project, q: Pick<LogQuery, "after" | "taskId" | "eventType"> & { limit: number }): Promise<{ events: LogEntry[]; last_seq: number }> {
  return { events: await p.store.queries.events(q), last_seq: await p.store.queries.lastSeq() };
}

export interface MetricsView {
  current: ViabilityMetrics;
  history: { seq: number; at: string; completion_rate: number; audit_pass_rate: number; oscillation_rate: number; avg_cycle_iterations: number }[];
  health: string[];
}

export async function metricsView(p: Project): Promise<MetricsView> {
  const current = await p.store.queries.metrics();
  const updates = await p.store.queries.events({ eventType: "metrics_updated", last: 500 });
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  return {
    current,
    history: updates.map((e) => ({
      seq: e.id, at: e.timestamp, completion_rate: num(e.data.completion_rate), audit_pass_rate: num(e.data.audit_pass_rate),
      oscillation_rate: num(e.data.oscillation_rate), avg_cycle_iterations: num(e.data.avg_cycle_iterations),
    })),
    health: healthIssues(current),
  };
}

export async function costView(p: Project): Promise<CostBreakdown> {
  return p.store.queries.cost();
}
