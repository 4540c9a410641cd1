// Reading the plan in the store: its items with the loop's state of each (status, attempts, blocked
// reason, branch, base and merged commits), and seed 004's session log. Reads validate what they
// load, like every other persisted value; writes are journal changes (changes.ts).

import type { SqlReader } from "./sql.ts";
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

export async function hasPlan(db: SqlReader): Promise<boolean> {
  return (await db.get("SELECT 1 AS one FROM plans WHERE id = ?", [PLAN_ID])) !== undefined;
}

/** The stored plan, or null when none was imported. A damaged row is an error naming the item. */
export async function readPlan(db: SqlReader, dbFile: string): Promise<StoredPlan | null> {
  const row = await db.get<PlanRow>("SELECT format, source_file, source_tag, source_text, integration_branch, imported_at, updated_at FROM plans WHERE id = ?", [PLAN_ID]);
  if (row === undefined) return null;
  if (!(PLAN_FORMATS as readonly string[]).includes(row.format)) throw damaged(dbFile, "plans.format", `unknown plan format "${row.format}"`);
  const items: PlanItem[] = [];
  const state = new Map<ItemId, ItemState>();
  for (const r of await db.all<ItemRow>(
    "SELECT id, definition, status, attempts, blocked_reason, phase, branch, base_commit, merged_commit, last_error FROM plan_items WHERE plan_id = ? ORDER BY seq",
    [PLAN_ID],
  )) {
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
export async function passedItems(db: SqlReader): Promise<Map<ItemId, PassedItem>> {
  const out = new Map<ItemId, PassedItem>();
  for (const r of await db.all<{ id: string } & PassedItem>("SELECT id, attempts, branch, merged_commit FROM plan_items WHERE plan_id = ? AND status = 'passed'", [PLAN_ID])) {
    out.set(r.id, { attempts: r.attempts, branch: r.branch, merged_commit: r.merged_commit });
  }
  return out;
}

export async function readSessions(db: SqlReader): Promise<SessionRecord[]> {
  const rows = await db.all<(Omit<SessionRecord, "success"> & { success: number })>(
    "SELECT session, timestamp, feature, success, elapsed_seconds, error, attempt_id, run_id FROM plan_sessions WHERE plan_id = ? ORDER BY session",
    [PLAN_ID],
  );
  return rows.map((r) => ({ ...r, success: r.success === 1 }));
}

export async function lastSessionNumber(db: SqlReader): Promise<number> {
  const row = await db.get<{ n: number | null }>("SELECT max(session) AS n FROM plan_sessions WHERE plan_id = ?", [PLAN_ID]);
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
