// Tasks (seed 001's CurrentTask, one row per task) and their attempts: projections kept in step with
// the event log by the Store, which writes both in one transaction.

import type { DatabaseSync } from "node:sqlite";
import type { AttemptOutcome } from "../domain/outcome.ts";

export type TaskStatus = "pending" | "in_progress" | "completed" | "failed";

/** Seed 001's CurrentTask, field for field, plus where it ran. */
export interface TaskRecord {
  id: string;
  description: string;
  created_at: string;
  updated_at: string;
  status: TaskStatus;
  complexity: string;
  assigned_agents: string[];
  metadata: Record<string, unknown>;
  session_id: string;
  owner_pid: number | null;
  failure_reason: string | null;
}

export type AttemptStatus = "running" | "finished" | "interrupted";

export interface AttemptRecord {
  id: string;
  task_id: string;
  item_id: string | null;
  agent: string;
  runtime: string;
  attempt_no: number;
  status: AttemptStatus;
  pid: number | null;
  started_at: string;
  ended_at: string | null;
  outcome: AttemptOutcome | null;
  transcript_path: string | null;
}

interface TaskRow extends Omit<TaskRecord, "assigned_agents" | "metadata"> {
  assigned_agents: string;
  metadata: string;
}

interface AttemptRow extends Omit<AttemptRecord, "outcome"> {
  outcome: string | null;
}

export function insertTask(db: DatabaseSync, t: TaskRecord): void {
  db.prepare(
    `INSERT INTO tasks (id, description, created_at, updated_at, status, complexity, assigned_agents, metadata, session_id, owner_pid, failure_reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(t.id, t.description, t.created_at, t.updated_at, t.status, t.complexity, JSON.stringify(t.assigned_agents),
    JSON.stringify(t.metadata), t.session_id, t.owner_pid, t.failure_reason);
}

export function updateTask(db: DatabaseSync, id: string, patch: Partial<Omit<TaskRecord, "id">>): void {
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  for (const [key, value] of Object.entries(patch)) {
    sets.push(`${key} = ?`);
    values.push(key === "assigned_agents" || key === "metadata" ? JSON.stringify(value) : (value as string | number | null));
  }
  if (sets.length === 0) return;
  db.prepare(`UPDATE tasks SET ${sets.join(", ")} WHERE id = ?`).run(...values, id);
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

export function insertAttempt(db: DatabaseSync, a: AttemptRecord): void {
  db.prepare(
    `INSERT INTO attempts (id, task_id, item_id, agent, runtime, attempt_no, status, pid, started_at, ended_at, outcome, transcript_path)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(a.id, a.task_id, a.item_id, a.agent, a.runtime, a.attempt_no, a.status, a.pid, a.started_at, a.ended_at,
    a.outcome ? JSON.stringify(a.outcome) : null, a.transcript_path);
}

export function setAttemptPid(db: DatabaseSync, id: string, pid: number): void {
  db.prepare("UPDATE attempts SET pid = ? WHERE id = ?").run(pid, id);
}

export function finishAttempt(db: DatabaseSync, id: string, status: AttemptStatus, endedAt: string, outcome: AttemptOutcome | null): void {
  db.prepare("UPDATE attempts SET status = ?, ended_at = ?, outcome = ? WHERE id = ?").run(status, endedAt, outcome ? JSON.stringify(outcome) : null, id);
}

export function runningAttempts(db: DatabaseSync): AttemptRecord[] {
  return (db.prepare("SELECT * FROM attempts WHERE status = 'running'").all() as unknown as AttemptRow[]).map(toAttempt);
}

export function attemptsOfTask(db: DatabaseSync, taskId: string): AttemptRecord[] {
  return (db.prepare("SELECT * FROM attempts WHERE task_id = ? ORDER BY started_at, rowid").all(taskId) as unknown as AttemptRow[]).map(toAttempt);
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return { ...row, outcome: row.outcome ? (JSON.parse(row.outcome) as AttemptOutcome) : null };
}
