// What a state change does to the projections, as typed values, and the one place that turns them
// into SQL. A journal entry is events plus changes, committed in one transaction (journal.ts); the
// same operations run on the store's own connection or on the writer thread (sql-writer.ts).

import type { SQLInputValue } from "node:sqlite";
import type { LogEntry } from "../domain/events.ts";
import type { AttemptOutcome } from "../domain/outcome.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import type { ItemId, ItemStatus, Plan, PlanItem } from "../plan/plan.ts";
import type { TakeoverRecord, ApprovalRecord, AttemptRecord, ItemState, KillSwitch, PassedItem, SessionRecord, ShadowSwitch, TaskPatch, TaskRecord } from "./records.ts";

/** One plan per project for now; the id keeps room for more. */
export const PLAN_ID = "plan";

export const METRICS_KEY = "viability_metrics";
export const KILL_SWITCH_KEY = "kill_switch";
export const SHADOW_SWITCH_KEY = "shadow_switch";
/** Changes when the journal is emptied (`viable reset`): what a follower saw before means nothing now. */
export const JOURNAL_EPOCH_KEY = "journal_epoch";

export type Change =
  | { type: "task_inserted"; task: TaskRecord }
  | { type: "task_updated"; id: string; patch: TaskPatch }
  /** S3's allocation or S4's scan of a task, for `viable state` and the VSM export. */
  | { type: "analysis_saved"; taskId: string; column: "s3_allocation" | "s4_environment"; value: unknown }
  | { type: "attempt_started"; attempt: Omit<AttemptRecord, "status" | "pid" | "ended_at" | "outcome"> }
  | { type: "attempt_pid"; id: string; pid: number }
  | { type: "attempt_finished"; id: string; status: "finished" | "interrupted"; endedAt: string; outcome: AttemptOutcome | null; transcriptPath?: string | null }
  | { type: "metrics_saved"; metrics: ViabilityMetrics }
  | { type: "kill_switch_set"; value: KillSwitch }
  | { type: "shadow_switch_set"; value: ShadowSwitch }
  /** A file's content hash after an agent ran (oscillation detection). */
  | { type: "file_version"; taskId: string; path: string; seq: number; hash: string; agent: string }
  /** The stored plan replaced by `plan`; items in `passed` keep their results. */
  | { type: "plan_replaced"; plan: Plan; sourceText: string | null; passed: ReadonlyMap<ItemId, PassedItem>; now: string }
  | { type: "integration_branch_set"; branch: string; now: string }
  /** The whole loop state of one item: the loop keeps it in memory and writes it on each transition. */
  | { type: "item_state"; id: ItemId; status: ItemStatus; attempts: number; blockedReason: string | null; state: ItemState; now: string }
  | { type: "session_recorded"; session: SessionRecord }
  | { type: "approval_requested"; approval: Omit<ApprovalRecord, "status" | "answered_by" | "answered_at" | "comment"> }
  /** The first answer holds: an approval already answered is left as it is. */
  | { type: "approval_answered"; id: string; status: "approved" | "rejected" | "expired"; by: string; at: string; comment: string | null }
  | { type: "takeover_started"; takeover: Omit<TakeoverRecord, "ended_at" | "status"> }
  /** Only an active take-over ends: the first end recorded holds. */
  | { type: "takeover_ended"; id: string; status: "ended" | "abandoned"; at: string };

export interface SqlOp {
  sql: string;
  params: SQLInputValue[];
  /** An event row: its rowid is the event's sequence number, reported back by the writer. */
  event?: true;
}

/** What the writer needs: the event rows (stamped) and the changes. */
export type StampedEvent = Omit<LogEntry, "id">;

export function eventOp(e: StampedEvent): SqlOp {
  return {
    sql: "INSERT INTO events (timestamp, event_type, task_id, agent, data, session_id) VALUES (?, ?, ?, ?, ?, ?)",
    params: [e.timestamp, e.event_type, e.task_id, e.agent, JSON.stringify(e.data), e.session_id],
    event: true,
  };
}

export function opsOf(change: Change): SqlOp[] {
  switch (change.type) {
    case "task_inserted": {
      const t = change.task;
      return [{
        sql: `INSERT INTO tasks (id, description, created_at, updated_at, status, complexity, assigned_agents, metadata, session_id, owner_pid, failure_reason)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [t.id, t.description, t.created_at, t.updated_at, t.status, t.complexity, JSON.stringify(t.assigned_agents), JSON.stringify(t.metadata), t.session_id, t.owner_pid, t.failure_reason],
      }];
    }
    case "task_updated": {
      const sets: string[] = [];
      const values: SQLInputValue[] = [];
      for (const key of TASK_COLUMNS) {
        if (!(key in change.patch)) continue;
        const value = change.patch[key];
        sets.push(`${key} = ?`);
        values.push(key === "assigned_agents" || key === "metadata" ? JSON.stringify(value) : (value as SQLInputValue));
      }
      return sets.length === 0 ? [] : [{ sql: `UPDATE tasks SET ${sets.join(", ")} WHERE id = ?`, params: [...values, change.id] }];
    }
    case "analysis_saved": {
      const column = change.column === "s3_allocation" ? "s3_allocation" : "s4_environment";
      return [{
        sql: `INSERT INTO task_analysis (task_id, ${column}) VALUES (?, ?) ON CONFLICT(task_id) DO UPDATE SET ${column} = excluded.${column}`,
        params: [change.taskId, JSON.stringify(change.value)],
      }];
    }
    case "attempt_started": {
      const a = change.attempt;
      return [{
        sql: `INSERT INTO attempts (id, task_id, item_id, agent, runtime, attempt_no, status, pid, started_at, ended_at, outcome, transcript_path)
              VALUES (?, ?, ?, ?, ?, ?, 'running', NULL, ?, NULL, NULL, ?)`,
        params: [a.id, a.task_id, a.item_id, a.agent, a.runtime, a.attempt_no, a.started_at, a.transcript_path],
      }];
    }
    case "attempt_pid":
      return [{ sql: "UPDATE attempts SET pid = ? WHERE id = ?", params: [change.pid, change.id] }];
    case "attempt_finished":
      return [{
        sql: change.transcriptPath === undefined
          ? "UPDATE attempts SET status = ?, ended_at = ?, outcome = ? WHERE id = ?"
          : "UPDATE attempts SET status = ?, ended_at = ?, outcome = ?, transcript_path = ? WHERE id = ?",
        params: change.transcriptPath === undefined
          ? [change.status, change.endedAt, change.outcome ? JSON.stringify(change.outcome) : null, change.id]
          : [change.status, change.endedAt, change.outcome ? JSON.stringify(change.outcome) : null, change.transcriptPath, change.id],
      }];
    case "metrics_saved":
      return [settingOp(METRICS_KEY, change.metrics)];
    case "kill_switch_set":
      return [settingOp(KILL_SWITCH_KEY, change.value)];
    case "shadow_switch_set":
      return [settingOp(SHADOW_SWITCH_KEY, change.value)];
    case "file_version":
      return [{ sql: "INSERT INTO file_versions (task_id, path, seq, hash, agent) VALUES (?, ?, ?, ?, ?)", params: [change.taskId, change.path, change.seq, change.hash, change.agent] }];
    case "plan_replaced":
      return planReplacedOps(change.plan, change.sourceText, change.passed, change.now);
    case "integration_branch_set":
      return [{ sql: "UPDATE plans SET integration_branch = ?, updated_at = ? WHERE id = ?", params: [change.branch, change.now, PLAN_ID] }];
    case "item_state": {
      const s = change.state;
      return [{
        sql: `UPDATE plan_items SET status = ?, attempts = ?, blocked_reason = ?, phase = ?, branch = ?, base_commit = ?, merged_commit = ?, last_error = ?, updated_at = ?
              WHERE plan_id = ? AND id = ?`,
        params: [change.status, change.attempts, change.blockedReason, s.phase, s.branch, s.base_commit, s.merged_commit, s.last_error, change.now, PLAN_ID, change.id],
      }];
    }
    case "approval_requested": {
      const a = change.approval;
      return [{
        sql: "INSERT INTO approvals (id, task_id, item_id, subject, question, requested_at, requested_by_pid, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
        params: [a.id, a.task_id, a.item_id, a.subject, a.question, a.requested_at, a.requested_by_pid],
      }];
    }
    case "approval_answered":
      return [{
        sql: "UPDATE approvals SET status = ?, answered_by = ?, answered_at = ?, comment = ? WHERE id = ? AND status = 'pending'",
        params: [change.status, change.by, change.at, change.comment, change.id],
      }];
    case "takeover_started": {
      const k = change.takeover;
      return [{
        sql: `INSERT INTO takeovers (id, item_id, attempt_id, runtime, session, tmux_socket, tmux_session, by_user, pid, started_at, status)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')`,
        params: [k.id, k.item_id, k.attempt_id, k.runtime, k.session, k.tmux_socket, k.tmux_session, k.by_user, k.pid, k.started_at],
      }];
    }
    case "takeover_ended":
      return [{ sql: "UPDATE takeovers SET status = ?, ended_at = ? WHERE id = ? AND status = 'active'", params: [change.status, change.at, change.id] }];
    case "session_recorded": {
      const s = change.session;
      return [{
        sql: "INSERT INTO plan_sessions (plan_id, session, timestamp, feature, success, elapsed_seconds, error, attempt_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params: [PLAN_ID, s.session, s.timestamp, s.feature, s.success ? 1 : 0, s.elapsed_seconds, s.error, s.attempt_id, s.run_id],
      }];
    }
  }
}

const TASK_COLUMNS = ["description", "created_at", "updated_at", "status", "complexity", "assigned_agents", "metadata", "session_id", "owner_pid", "failure_reason"] as const;

/** Settings are versioned JSON (settings.ts validates them on read). */
function settingOp(key: string, value: unknown): SqlOp {
  return {
    sql: "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    params: [key, JSON.stringify({ version: 1, value })],
  };
}

/** An item's definition: everything but the loop's state, which has columns of its own. */
function definitionOf(item: PlanItem): string {
  const { status: _s, attempts: _a, blocked_reason: _b, ...definition } = item;
  return JSON.stringify(definition);
}

/**
 * Every other item takes its status from the file, so re-importing is also how a blocked item is
 * given another chance. The integration branch the loop chose is kept.
 */
function planReplacedOps(plan: Plan, sourceText: string | null, passed: ReadonlyMap<ItemId, PassedItem>, now: string): SqlOp[] {
  const ops: SqlOp[] = [
    { sql: "DELETE FROM plan_items WHERE plan_id = ?", params: [PLAN_ID] },
    {
      sql: `INSERT INTO plans (id, format, source_file, source_tag, source_text, integration_branch, imported_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)
            ON CONFLICT(id) DO UPDATE SET format = excluded.format, source_file = excluded.source_file, source_tag = excluded.source_tag,
              source_text = excluded.source_text, imported_at = excluded.imported_at, updated_at = excluded.updated_at`,
      params: [PLAN_ID, plan.source.format, plan.source.file, plan.source.tag ?? null, sourceText, now, now],
    },
  ];
  const insert = `INSERT INTO plan_items (plan_id, seq, id, definition, status, attempts, blocked_reason, phase, branch, base_commit, merged_commit, last_error, updated_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, NULL, ?)`;
  plan.items.forEach((item, seq) => {
    const before = passed.get(item.id);
    ops.push(before
      ? { sql: insert, params: [PLAN_ID, seq, item.id, definitionOf(item), "passed", before.attempts, null, before.branch, before.merged_commit, now] }
      : { sql: insert, params: [PLAN_ID, seq, item.id, definitionOf(item), item.status, 0, item.blocked_reason ?? null, null, null, now] });
  });
  return ops;
}
