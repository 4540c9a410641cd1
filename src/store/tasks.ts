// Reading tasks (seed 001's CurrentTask, one row per task) and their attempts: projections the
// journal keeps in step with the execution log.

import type { DatabaseSync } from "node:sqlite";
import type { AttemptOutcome } from "../domain/outcome.ts";
import type { AttemptRecord, TaskRecord, TaskStatus } from "./records.ts";

interface TaskRow extends Omit<TaskRecord, "assigned_agents" | "metadata"> {
  assigned_agents: string;
  metadata: string;
}

interface AttemptRow extends Omit<AttemptRecord, "outcome"> {
  outcome: string | null;
}

export function getTask(db: DatabaseSync, id: string): TaskRecord | null {
  const row = db.prepare("SELECT * FROM tasks WHERE id = ?").get(id) as unknown as TaskRow | undefined;
  return row ? toTask(row) : null;
}

/** The most recently created task: seed 001's "current task". */
export function latestTask(db: DatabaseSync): TaskRecord | null {
  const row = db.prepare("SELECT * FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT 1").get() as unknown as TaskRow | undefined;
  return row ? toTask(row) : null;
}

export function tasksInProgress(db: DatabaseSync): TaskRecord[] {
  return (db.prepare("SELECT * FROM tasks WHERE status IN ('pending', 'in_progress')").all() as unknown as TaskRow[]).map(toTask);
}

/** Ids of tasks whose id starts with `prefix` (the plan loop's runs). */
export function taskIdsWithPrefix(db: DatabaseSync, prefix: string): string[] {
  return (db.prepare("SELECT id FROM tasks WHERE substr(id, 1, ?) = ?").all(prefix.length, prefix) as { id: string }[]).map((r) => r.id);
}

export function countTasks(db: DatabaseSync): Record<TaskStatus, number> {
  const counts: Record<TaskStatus, number> = { pending: 0, in_progress: 0, completed: 0, failed: 0 };
  for (const r of db.prepare("SELECT status, count(*) AS n FROM tasks GROUP BY status").all() as { status: TaskStatus; n: number }[]) {
    counts[r.status] = r.n;
  }
  return counts;
}

function toTask(row: TaskRow): TaskRecord {
  return {
    ...row,
    assigned_agents: JSON.parse(row.assigned_agents) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

export function runningAttempts(db: DatabaseSync): AttemptRecord[] {
  return (db.prepare("SELECT * FROM attempts WHERE status = 'running'").all() as unknown as AttemptRow[]).map(toAttempt);
}

/** Agents with an attempt running now. */
export function busyAgents(db: DatabaseSync): string[] {
  return (db.prepare("SELECT DISTINCT agent FROM attempts WHERE status = 'running'").all() as { agent: string }[]).map((r) => r.agent);
}

export function attemptsOfTask(db: DatabaseSync, taskId: string): AttemptRecord[] {
  return (db.prepare("SELECT * FROM attempts WHERE task_id = ? ORDER BY started_at, rowid").all(taskId) as unknown as AttemptRow[]).map(toAttempt);
}

export function attemptsOfItem(db: DatabaseSync, itemId: string): AttemptRecord[] {
  return (db.prepare("SELECT * FROM attempts WHERE item_id = ? ORDER BY started_at, rowid").all(itemId) as unknown as AttemptRow[]).map(toAttempt);
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return { ...row, outcome: row.outcome ? (JSON.parse(row.outcome) as AttemptOutcome) : null };
}

/** S3's allocation and S4's scan of a task, as recorded. */
export function taskAnalysis(db: DatabaseSync, taskId: string): { s3_allocation: unknown; s4_environment: unknown } {
  const row = db.prepare("SELECT s3_allocation, s4_environment FROM task_analysis WHERE task_id = ?").get(taskId) as { s3_allocation: string | null; s4_environment: string | null } | undefined;
  return {
    s3_allocation: row?.s3_allocation ? JSON.parse(row.s3_allocation) : null,
    s4_environment: row?.s4_environment ? JSON.parse(row.s4_environment) : null,
  };
}

/** Oscillation detection's history of a task: every file's recorded versions, oldest first. */
export function fileVersions(db: DatabaseSync, taskId: string): Map<string, { seq: number; hash: string; agent: string }[]> {
  const out = new Map<string, { seq: number; hash: string; agent: string }[]>();
  for (const r of db.prepare("SELECT path, seq, hash, agent FROM file_versions WHERE task_id = ? ORDER BY path, seq").all(taskId) as { path: string; seq: number; hash: string; agent: string }[]) {
    let list = out.get(r.path);
    if (!list) out.set(r.path, (list = []));
    list.push({ seq: r.seq, hash: r.hash, agent: r.agent });
  }
  return out;
}

/** The newest tasks first. */
export function recentTasks(db: DatabaseSync, limit: number): TaskRecord[] {
  return (db.prepare("SELECT * FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit) as unknown as TaskRow[]).map(toTask);
}

export function getAttempt(db: DatabaseSync, id: string): AttemptRecord | null {
  const row = db.prepare("SELECT * FROM attempts WHERE id = ?").get(id) as unknown as AttemptRow | undefined;
  return row ? toAttempt(row) : null;
}
