// Reading the append-only execution log (seed 001's ExecutionLog): the seed's queries, the task
// summary, and JSONL export. Rows are appended by the journal and never updated or deleted except
// by `viable reset`.

import type { DatabaseSync } from "node:sqlite";
import type { EventType, LogEntry } from "../domain/events.ts";

interface EventRow {
  id: number;
  timestamp: string;
  event_type: string;
  task_id: string | null;
  agent: string | null;
  data: string;
  session_id: string;
}

export interface LogQuery {
  taskId?: string;
  sessionId?: string;
  /** The most recent N, returned oldest first. */
  last?: number;
  /** Only entries after this sequence number. */
  after?: number;
  /** The first N (oldest first); ignored with `last`. A page of a reader catching up. */
  limit?: number;
  /** Only entries of this type (a scan of the log: for reports, not for hot paths). */
  eventType?: string;
}

export interface TaskSummary {
  task_id: string;
  description: string | null;
  started_at: string | null;
  completed_at: string | null;
  status: "in_progress" | "completed" | "failed" | "unknown";
  agents_invoked: string[];
  agent_errors: string[];
  audits: { passed: boolean }[];
  conflicts: number;
  oscillations: number;
  event_count: number;
}

/** Entries matching `q`, oldest first. */
export function queryEvents(db: DatabaseSync, q: LogQuery = {}): LogEntry[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.taskId !== undefined) {
    where.push("task_id = ?");
    params.push(q.taskId);
  }
  if (q.sessionId !== undefined) {
    where.push("session_id = ?");
    params.push(q.sessionId);
  }
  if (q.after !== undefined) {
    where.push("id > ?");
    params.push(q.after);
  }
  if (q.eventType !== undefined) {
    where.push("event_type = ?");
    params.push(q.eventType);
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  if (q.last !== undefined) {
    // Newest N through the primary key index, then back to chronological order.
    const rows = db
      .prepare(`SELECT * FROM (SELECT * FROM events ${clause} ORDER BY id DESC LIMIT ?) ORDER BY id ASC`)
      .all(...params, q.last) as unknown as EventRow[];
    return rows.map(toEntry);
  }
  if (q.limit !== undefined) {
    return (db.prepare(`SELECT * FROM events ${clause} ORDER BY id ASC LIMIT ?`).all(...params, q.limit) as unknown as EventRow[]).map(toEntry);
  }
  return (db.prepare(`SELECT * FROM events ${clause} ORDER BY id ASC`).all(...params) as unknown as EventRow[]).map(toEntry);
}

/** Streams every entry matching `q` without loading the log into memory. */
export function* iterateEvents(db: DatabaseSync, q: Pick<LogQuery, "taskId" | "sessionId" | "after"> = {}): Generator<LogEntry> {
  const after = q.after ?? 0;
  const stmt = q.taskId !== undefined
    ? db.prepare("SELECT * FROM events WHERE task_id = ? AND id > ? ORDER BY id").iterate(q.taskId, after)
    : q.sessionId !== undefined
      ? db.prepare("SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id").iterate(q.sessionId, after)
      : db.prepare("SELECT * FROM events WHERE id > ? ORDER BY id").iterate(after);
  for (const row of stmt) yield toEntry(row as unknown as EventRow);
}

export function lastSeq(db: DatabaseSync): number {
  return (db.prepare("SELECT coalesce(max(id), 0) AS n FROM events").get() as { n: number }).n;
}

export function countEvents(db: DatabaseSync): number {
  return (db.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
}

/** Seed 001's get_task_summary. */
export function taskSummary(db: DatabaseSync, taskId: string): TaskSummary {
  const summary: TaskSummary = {
    task_id: taskId, description: null, started_at: null, completed_at: null, status: "unknown",
    agents_invoked: [], agent_errors: [], audits: [], conflicts: 0, oscillations: 0, event_count: 0,
  };
  for (const e of iterateEvents(db, { taskId })) {
    summary.event_count++;
    switch (e.event_type) {
      case "task_started":
        summary.started_at = e.timestamp;
        summary.status = "in_progress";
        summary.description = typeof e.data.description === "string" ? e.data.description : null;
        break;
      case "task_completed":
        summary.completed_at = e.timestamp;
        summary.status = "completed";
        break;
      case "task_failed":
        summary.completed_at = e.timestamp;
        summary.status = "failed";
        break;
      case "agent_invoked":
        if (e.agent && !summary.agents_invoked.includes(e.agent)) summary.agents_invoked.push(e.agent);
        break;
      case "agent_error":
        if (e.agent) summary.agent_errors.push(e.agent);
        break;
      case "audit_performed":
        summary.audits.push({ passed: e.data.passed === true });
        break;
      case "conflict_detected":
        summary.conflicts++;
        break;
      case "oscillation_detected":
        summary.oscillations++;
        break;
      default:
        break;
    }
  }
  return summary;
}

function toEntry(row: EventRow): LogEntry {
  return {
    id: row.id,
    timestamp: row.timestamp,
    event_type: row.event_type as EventType,
    task_id: row.task_id,
    agent: row.agent,
    data: JSON.parse(row.data) as Record<string, unknown>,
    session_id: row.session_id,
  };
}

/** One JSON object per line, seed 001's field order. */
export function toJsonl(entry: LogEntry): string {
  const { timestamp, event_type, task_id, agent, data, session_id } = entry;
  return JSON.stringify({ timestamp, event_type, task_id, agent, data, session_id });
}

/** The plan loop's events about one item (`item_*` events carry the item's id in `data.item`). */
export function itemEvents(db: DatabaseSync, itemId: string, limit: number): LogEntry[] {
  const rows = db.prepare(`SELECT * FROM (SELECT * FROM events WHERE event_type LIKE 'item\\_%' ESCAPE '\\' AND json_extract(data, '$.item') = ? ORDER BY id DESC LIMIT ?) ORDER BY id ASC`)
    .all(itemId, limit) as unknown as EventRow[];
  return rows.map(toEntry);
}
