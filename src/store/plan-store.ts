// Reading the plan in the store: its items with the loop's state of each (status, attempts, blocked
// reason, branch, base and merged commits), and seed 004's session log. Reads validate what they
// load, like every other persisted value; writes are journal changes (changes.ts).

import type { DatabaseSync } from "node:sqlite";
import { z } from "zod";
import { UserError } from "../domain/errors.ts";
import { PlanItemSchema, PLAN_FORMATS, type ItemId, type Plan, type PlanFormat, type PlanItem } from "../plan/plan.ts";
import { PLAN_ID } from "./changes.ts";
import { ITEM_PHASES, type ItemState, type PassedItem, type SessionRecord } from "./records.ts";

export interface PlanMeta {
  format: PlanFormat;
  source_file: string;
  /** The Task Master tag it was imported from, when the file has tags. */
  source_tag: string | null;
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

interface PlanRow {
  format: string;
  source_file: string;
  source_tag: string | null;
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
  const row = db.prepare("SELECT format, source_file, source_tag, source_text, integration_branch, imported_at, updated_at FROM plans WHERE id = ?").get(PLAN_ID) as PlanRow | undefined;
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
    plan: { version: 1, source: { format: row.format as PlanFormat, file: row.source_file, ...(row.source_tag !== null ? { tag: row.source_tag } : {}) }, items },
    meta: { ...row, format: row.format as PlanFormat },
    state,
  };
}

/** The items that had passed, with what a re-import keeps of them. */
export function passedItems(db: DatabaseSync): Map<ItemId, PassedItem> {
  const out = new Map<ItemId, PassedItem>();
  for (const r of db.prepare("SELECT id, attempts, branch, merged_commit FROM plan_items WHERE plan_id = ? AND status = 'passed'").iterate(PLAN_ID) as Iterable<{ id: string } & PassedItem>) {
    out.set(r.id, { attempts: r.attempts, branch: r.branch, merged_commit: r.merged_commit });
  }
  return out;
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

function damaged(file: string, field: string, detail: string): UserError {
  return new UserError({
    reason: "store_damaged",
    file,
    field,
    message: `the stored plan is not valid: ${detail}`,
    fix: "import the plan file again (`viable plan import FILE`): passed items keep their results",
  });
}
