// Reading the append-only execution log (seed 001's ExecutionLog): the seed's queries, the task
// summary, and JSONL export. Rows are appended by the journal and never updated or deleted except
// by `viable reset`.

import type { SqlReader } from "./sql.ts";
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
export async function queryEvents(db: SqlReader, q: LogQuery = {}): Promise<LogEntry[]> {
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
    const rows = await db.all<EventRow>(`SELECT * FROM (SELECT * FROM events ${clause} ORDER BY id DESC LIMIT ?) AS newest ORDER BY id ASC`, [...params, q.last]);
    return rows.map(toEntry);
  }
  if (q.limit !== undefined) {
    return (await db.all<EventRow>(`SELECT * FROM events ${clause} ORDER BY id ASC LIMIT ?`, [...params, q.limit])).map(toEntry);
  }
  return (await db.all<EventRow>(`SELECT * FROM events ${clause} ORDER BY id ASC`, [...params])).map(toEntry);
}

/**
 * Streams every entry matching `q` a page at a time (by sequence number), so an export of a large
 * log never sits in memory, on either store.
 */
export async function* iterateEvents(db: SqlReader, q: Pick<LogQuery, "taskId" | "sessionId" | "after"> = {}): AsyncGenerator<LogEntry> {
  let after = q.after ?? 0;
  for (;;) {
    const rows = q.taskId !== undefined
      ? await db.all<EventRow>("SELECT * FROM events WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?", [q.taskId, after, PAGE])
      : q.sessionId !== undefined
        ? await db.all<EventRow>("SELECT * FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?", [q.sessionId, after, PAGE])
        : await db.all<EventRow>("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", [after, PAGE]);
    for (const row of rows) yield toEntry(row);
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

const PAGE = 1000;

export async function lastSeq(db: SqlReader): Promise<number> {
  return (await db.get<{ n: number }>("SELECT coalesce(max(id), 0) AS n FROM events"))!.n;
}

export async function countEvents(db: SqlReader): Promise<number> {
  return (await db.get<{ n: number }>("SELECT count(*) AS n FROM events"))!.n;
}

/** Seed 001's get_task_summary. */
export async function taskSummary(db: SqlReader, taskId: string): Promise<TaskSummary> {
  const summary: TaskSummary = {
    task_id: taskId, description: null, started_at: null, completed_at: null, status: "unknown",
    agents_invoked: [], agent_errors: [], audits: [], conflicts: 0, oscillations: 0, event_count: 0,
  };
  for await (const e of iterateEvents(db, { taskId })) {
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
export async function itemEvents(db: SqlReader, itemId: string, limit: number): Promise<LogEntry[]> {
  const item = db.dialect.jsonText("data", ["item"]);
  const rows = await db.all<EventRow>(`SELECT * FROM (SELECT * FROM events WHERE event_type LIKE 'item\\_%' ESCAPE '\\' AND ${item} = ? ORDER BY id DESC LIMIT ?) AS newest ORDER BY id ASC`, [itemId, limit]);
  return rows.map(toEntry);
}
