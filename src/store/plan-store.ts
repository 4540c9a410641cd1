// The plan in the store: its items with the loop's state of each (status, attempts, blocked reason,
// branch, base and merged commits), and seed 004's session log. Reads validate what they load, like
// every other persisted value. Writes are SQL operations (`SqlOp`) so the same change can be applied
// in a transaction here or handed to the group committer (group-commit.ts) by the plan loop.

import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { z } from "zod";
import { UserError } from "../domain/errors.ts";
import type { EventType } from "../domain/events.ts";
import { PlanItemSchema, PLAN_FORMATS, type ItemId, type ItemStatus, type Plan, type PlanFormat, type PlanItem } from "../plan/plan.ts";

/** One plan per project for now; the id keeps room for more. */
export const PLAN_ID = "plan";

export interface SqlOp {
  sql: string;
  params: SQLInputValue[];
}

export const ITEM_PHASES = ["workspace", "agents", "verifying", "queued", "merging"] as const;
/**
 * Where a running item is, so a resumed loop knows what its branch holds:
 * - workspace: the worktree is being made and set up
 * - agents: agents are working; their work is not known to be good
 * - verifying: the agents succeeded; their work is committed and being verified in the worktree
 * - queued: verified, waiting for the merge queue
 * - merging: being rebased, re-verified and fast-forwarded
 */
export type ItemPhase = (typeof ITEM_PHASES)[number];

/** What the loop keeps about an item besides its definition, status, attempts and blocked reason. */
export interface ItemState {
  phase: ItemPhase | null;
  branch: string | null;
  base_commit: string | null;
  merged_commit: string | null;
  last_error: string | null;
}

export const EMPTY_ITEM_STATE: Readonly<ItemState> = Object.freeze({ phase: null, branch: null, base_commit: null, merged_commit: null, last_error: null });

export interface PlanMeta {
  format: PlanFormat;
  source_file: string;
  source_text: string | null;
  integration_branch: string | null;
  imported_at: string;
  updated_at: string;
}

export interface StoredPlan {
  plan: Plan;
  meta: PlanMeta;
  /** By item id. */
  state: Map<ItemId, ItemState>;
}

/** Seed 004's `.agent/sessions/session-NNN.json`, plus which attempt and loop run it was. */
export interface SessionRecord {
  session: number;
  timestamp: string;
  feature: string;
  success: boolean;
  elapsed_seconds: number;
  error: string | null;
  attempt_id: string | null;
  run_id: string | null;
}

interface PlanRow {
  format: string;
  source_file: string;
  source_text: string | null;
  integration_branch: string | null;
  imported_at: string;
  updated_at: string;
}

interface ItemRow {
  id: string;
  definition: string;
  status: string;
  attempts: number;
  blocked_reason: string | null;
  phase: string | null;
  branch: string | null;
  base_commit: string | null;
  merged_commit: string | null;
  last_error: string | null;
}

const StateSchema = z.object({
  phase: z.enum(ITEM_PHASES).nullable(),
  branch: z.string().nullable(),
  base_commit: z.string().nullable(),
  merged_commit: z.string().nullable(),
  last_error: z.string().nullable(),
});

export function hasPlan(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM plans WHERE id = ?").get(PLAN_ID) !== undefined;
}

/** The stored plan, or null when none was imported. A damaged row is an error naming the item. */
export function readPlan(db: DatabaseSync, dbFile: string): StoredPlan | null {
  const row = db.prepare("SELECT format, source_file, source_text, integration_branch, imported_at, updated_at FROM plans WHERE id = ?").get(PLAN_ID) as PlanRow | undefined;
  if (row === undefined) return null;
  if (!(PLAN_FORMATS as readonly string[]).includes(row.format)) throw damaged(dbFile, "plans.format", `unknown plan format "${row.format}"`);
  const items: PlanItem[] = [];
  const state = new Map<ItemId, ItemState>();
  for (const r of db.prepare(
    "SELECT id, definition, status, attempts, blocked_reason, phase, branch, base_commit, merged_commit, last_error FROM plan_items WHERE plan_id = ? ORDER BY seq",
  ).iterate(PLAN_ID) as Iterable<ItemRow>) {
    let definition: unknown;
    try {
      definition = JSON.parse(r.definition);
    } catch {
      definition = undefined;
    }
    const item = PlanItemSchema.safeParse({
      ...(definition as object),
      status: r.status,
      attempts: r.attempts,
      ...(r.blocked_reason !== null ? { blocked_reason: r.blocked_reason } : {}),
    });
    const extra = StateSchema.safeParse(r);
    if (!item.success || !extra.success) {
      const issues = [...(item.error?.issues ?? []), ...(extra.error?.issues ?? [])];
      throw damaged(dbFile, `plan_items["${r.id}"]`, issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; "));
    }
    items.push(item.data);
    state.set(r.id, extra.data);
  }
  return {
    plan: { version: 1, source: { format: row.format as PlanFormat, file: row.source_file }, items },
    meta: { ...row, format: row.format as PlanFormat },
    state,
  };
}

/** An item's definition: everything but the loop's state, which has columns of its own. */
function definitionOf(item: PlanItem): string {
  const { status: _s, attempts: _a, blocked_reason: _b, ...definition } = item;
  return JSON.stringify(definition);
}

export interface ImportResult {
  /** Items whose results were kept from the plan already stored (they had passed). */
  kept: ItemId[];
  items: number;
}

/**
 * Replaces the stored plan with `plan`. Items that had passed keep their result, branch and merged
 * commit: merged work does not un-happen because the file was imported again. Every other item takes
 * its status from the file, so re-importing is also how a blocked item is given another chance.
 * Call inside a transaction.
 */
export function replacePlan(db: DatabaseSync, plan: Plan, sourceText: string | null, now: string): ImportResult {
  const previous = new Map<string, ItemRow>();
  for (const r of db.prepare("SELECT id, status, merged_commit, branch, attempts FROM plan_items WHERE plan_id = ?").iterate(PLAN_ID) as Iterable<ItemRow>) {
    previous.set(r.id, r);
  }
  const existing = db.prepare("SELECT integration_branch FROM plans WHERE id = ?").get(PLAN_ID) as { integration_branch: string | null } | undefined;
  db.prepare("DELETE FROM plan_items WHERE plan_id = ?").run(PLAN_ID);
  db.prepare(
    `INSERT INTO plans (id, format, source_file, source_text, integration_branch, imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET format = excluded.format, source_file = excluded.source_file, source_text = excluded.source_text,
       imported_at = excluded.imported_at, updated_at = excluded.updated_at`,
  ).run(PLAN_ID, plan.source.format, plan.source.file, sourceText, existing?.integration_branch ?? null, now, now);
  const insert = db.prepare(
    `INSERT INTO plan_items (plan_id, seq, id, definition, status, attempts, blocked_reason, phase, branch, base_commit, merged_commit, last_error, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, NULL, ?)`,
  );
  const kept: ItemId[] = [];
  plan.items.forEach((item, seq) => {
    const before = previous.get(item.id);
    if (before?.status === "passed") {
      kept.push(item.id);
      insert.run(PLAN_ID, seq, item.id, definitionOf(item), "passed", before.attempts, null, before.branch, before.merged_commit, now);
      return;
    }
    insert.run(PLAN_ID, seq, item.id, definitionOf(item), item.status, 0, item.blocked_reason ?? null, null, null, now);
  });
  return { kept, items: plan.items.length };
}

export function setIntegrationBranch(db: DatabaseSync, branch: string, now: string): void {
  db.prepare("UPDATE plans SET integration_branch = ?, updated_at = ? WHERE id = ?").run(branch, now, PLAN_ID);
}

export function readSessions(db: DatabaseSync): SessionRecord[] {
  const rows = db.prepare(
    "SELECT session, timestamp, feature, success, elapsed_seconds, error, attempt_id, run_id FROM plan_sessions WHERE plan_id = ? ORDER BY session",
  ).all(PLAN_ID) as unknown as (Omit<SessionRecord, "success"> & { success: number })[];
  return rows.map((r) => ({ ...r, success: r.success === 1 }));
}

export function lastSessionNumber(db: DatabaseSync): number {
  const row = db.prepare("SELECT max(session) AS n FROM plan_sessions WHERE plan_id = ?").get(PLAN_ID) as { n: number | null } | undefined;
  return row?.n ?? 0;
}

// ---- Operations, for a transaction here or for the group committer ----

/** The whole loop state of one item: the loop keeps it in memory and writes it on each transition. */
export function itemStateOp(id: ItemId, status: ItemStatus, attempts: number, blockedReason: string | null, s: ItemState, now: string): SqlOp {
  return {
    sql: `UPDATE plan_items SET status = ?, attempts = ?, blocked_reason = ?, phase = ?, branch = ?, base_commit = ?, merged_commit = ?, last_error = ?, updated_at = ?
          WHERE plan_id = ? AND id = ?`,
    params: [status, attempts, blockedReason, s.phase, s.branch, s.base_commit, s.merged_commit, s.last_error, now, PLAN_ID, id],
  };
}

export function sessionOp(s: SessionRecord): SqlOp {
  return {
    sql: `INSERT INTO plan_sessions (plan_id, session, timestamp, feature, success, elapsed_seconds, error, attempt_id, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [PLAN_ID, s.session, s.timestamp, s.feature, s.success ? 1 : 0, s.elapsed_seconds, s.error, s.attempt_id, s.run_id],
  };
}

/** The same row `EventLog.append` writes (store/event-log.ts), as an operation. */
export function eventOp(e: { timestamp: string; event_type: EventType; task_id: string | null; agent: string | null; data: Record<string, unknown>; session_id: string }): SqlOp {
  return {
    sql: "INSERT INTO events (timestamp, event_type, task_id, agent, data, session_id) VALUES (?, ?, ?, ?, ?, ?)",
    params: [e.timestamp, e.event_type, e.task_id, e.agent, JSON.stringify(e.data), e.session_id],
  };
}

/** An attempt row (store/tasks.ts `insertAttempt`), as an operation. */
export function attemptStartOp(a: { id: string; task_id: string; item_id: string; agent: string; runtime: string; attempt_no: number; started_at: string; transcript_path: string | null }): SqlOp {
  return {
    sql: `INSERT INTO attempts (id, task_id, item_id, agent, runtime, attempt_no, status, pid, started_at, ended_at, outcome, transcript_path)
          VALUES (?, ?, ?, ?, ?, ?, 'running', NULL, ?, NULL, NULL, ?)`,
    params: [a.id, a.task_id, a.item_id, a.agent, a.runtime, a.attempt_no, a.started_at, a.transcript_path],
  };
}

export function attemptPidOp(id: string, pid: number): SqlOp {
  return { sql: "UPDATE attempts SET pid = ? WHERE id = ?", params: [pid, id] };
}

export function attemptFinishOp(id: string, status: "finished" | "interrupted", endedAt: string, outcome: unknown): SqlOp {
  return { sql: "UPDATE attempts SET status = ?, ended_at = ?, outcome = ? WHERE id = ?", params: [status, endedAt, outcome === null ? null : JSON.stringify(outcome), id] };
}

/** Applies operations in one transaction on this connection. */
export function applyOps(db: DatabaseSync, ops: readonly SqlOp[]): void {
  const own = !db.isTransaction;
  if (own) db.exec("BEGIN IMMEDIATE");
  try {
    for (const op of ops) db.prepare(op.sql).run(...op.params);
    if (own) db.exec("COMMIT");
  } catch (e) {
    if (own && db.isTransaction) db.exec("ROLLBACK");
    throw e;
  }
}

function damaged(file: string, field: string, detail: string): UserError {
  return new UserError({
    reason: "store_damaged",
    file,
    field,
    message: `the stored plan is not valid: ${detail}`,
    fix: "import the plan file again (`viable plan import FILE`): passed items keep their results",
  });
}
