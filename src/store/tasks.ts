// Reading tasks (seed 001's CurrentTask, one row per task) and their attempts: projections the
// journal keeps in step with the execution log.

import type { SqlReader } from "./sql.ts";
import type { AttemptOutcome } from "../domain/outcome.ts";
import type { AttemptRecord, TaskRecord, TaskStatus } from "./records.ts";

interface TaskRow extends Omit<TaskRecord, "assigned_agents" | "metadata"> {
  assigned_agents: string;
  metadata: string;
}

interface AttemptRow extends Omit<AttemptRecord, "outcome"> {
  outcome: string | null;
}

export async function getTask(db: SqlReader, id: string): Promise<TaskRecord | null> {
  const row = await db.get<TaskRow>("SELECT * FROM tasks WHERE id = ?", [id]);
  return row ? toTask(row) : null;
}

/** The most recently created task: seed 001's "current task". */
export async function latestTask(db: SqlReader): Promise<TaskRecord | null> {
  const row = await db.get<TaskRow>("SELECT * FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT 1");
  return row ? toTask(row) : null;
}

export async function tasksInProgress(db: SqlReader): Promise<TaskRecord[]> {
  return (await db.all<TaskRow>("SELECT * FROM tasks WHERE status IN ('pending', 'in_progress')")).map(toTask);
}

/** Ids of tasks whose id starts with `prefix` (the plan loop's runs). */
export async function taskIdsWithPrefix(db: SqlReader, prefix: string): Promise<string[]> {
  return (await db.all<{ id: string }>("SELECT id FROM tasks WHERE substr(id, 1, ?) = ?", [prefix.length, prefix])).map((r) => r.id);
}

export async function countTasks(db: SqlReader): Promise<Record<TaskStatus, number>> {
  const counts: Record<TaskStatus, number> = { pending: 0, in_progress: 0, completed: 0, failed: 0 };
  for (const r of await db.all<{ status: TaskStatus; n: number }>("SELECT status, count(*) AS n FROM tasks GROUP BY status")) {
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

export async function runningAttempts(db: SqlReader): Promise<AttemptRecord[]> {
  return (await db.all<AttemptRow>("SELECT * FROM attempts WHERE status = 'running'")).map(toAttempt);
}

/** Agents with an attempt running now. */
export async function busyAgents(db: SqlReader): Promise<string[]> {
  return (await db.all<{ agent: string }>("SELECT DISTINCT agent FROM attempts WHERE status = 'running'")).map((r) => r.agent);
}

export async function attemptsOfTask(db: SqlReader, taskId: string): Promise<AttemptRecord[]> {
  return (await db.all<AttemptRow>("SELECT * FROM attempts WHERE task_id = ? ORDER BY started_at, rowid", [taskId])).map(toAttempt);
}

export async function attemptsOfItem(db: SqlReader, itemId: string): Promise<AttemptRecord[]> {
  return (await db.all<AttemptRow>("SELECT * FROM attempts WHERE item_id = ? ORDER BY started_at, rowid", [itemId])).map(toAttempt);
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return { ...row, outcome: row.outcome ? (JSON.parse(row.outcome) as AttemptOutcome) : null };
}

/** S3's allocation and S4's scan of a task, as recorded. */
export async function taskAnalysis(db: SqlReader, taskId: string): Promise<{ s3_allocation: unknown; s4_environment: unknown }> {
  const row = await db.get<{ s3_allocation: string | null; s4_environment: string | null }>("SELECT s3_allocation, s4_environment FROM task_analysis WHERE task_id = ?", [taskId]);
  return {
    s3_allocation: row?.s3_allocation ? JSON.parse(row.s3_allocation) : null,
    s4_environment: row?.s4_environment ? JSON.parse(row.s4_environment) : null,
  };
}

/** Oscillation detection's history of a task: every file's recorded versions, oldest first. */
export async function fileVersions(db: SqlReader, taskId: string): Promise<Map<string, { seq: number; hash: string; agent: string }[]>> {
  const out = new Map<string, { seq: number; hash: string; agent: string }[]>();
  for (const r of await db.all<{ path: string; seq: number; hash: string; agent: string }>("SELECT path, seq, hash, agent FROM file_versions WHERE task_id = ? ORDER BY path, seq", [taskId])) {
    let list = out.get(r.path);
    if (!list) out.set(r.path, (list = []));
    list.push({ seq: r.seq, hash: r.hash, agent: r.agent });
  }
  return out;
}

/** The newest tasks first. */
export async function recentTasks(db: SqlReader, limit: number): Promise<TaskRecord[]> {
  return (await db.all<TaskRow>("SELECT * FROM tasks ORDER BY created_at DESC, rowid DESC LIMIT ?", [limit])).map(toTask);
}

export async function getAttempt(db: SqlReader, id: string): Promise<AttemptRecord | null> {
  const row = await db.get<AttemptRow>("SELECT * FROM attempts WHERE id = ?", [id]);
  return row ? toAttempt(row) : null;
}

/**
 * What the attempts of a plan loop's run have spent, the workers' on other machines included (their
 * tasks carry the run's id in `metadata.run_id`).
 */
export async function runSpend(db: SqlReader, runId: string): Promise<{ usd: number; tokens: number }> {
  const d = db.dialect;
  const row = await db.get<{ usd: number; tokens: number }>(
    `SELECT coalesce(sum(${d.jsonNumber("outcome", ["costUsd"])}), 0) AS usd,
       coalesce(sum(${d.jsonNumber("outcome", ["usage", "inputTokens"])} + ${d.jsonNumber("outcome", ["usage", "outputTokens"])}), 0) AS tokens
     FROM attempts WHERE task_id = ? OR task_id IN (SELECT id FROM tasks WHERE ${d.jsonText("metadata", ["run_id"])} = ?)`,
    [runId, runId],
  );
  return { usd: Number(row?.usd ?? 0), tokens: Number(row?.tokens ?? 0) };
}
