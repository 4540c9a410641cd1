// Reading what people are asked and do: S5 approvals (see ApprovalRecord) — the pending ones for an
// inbox, one for the writer that waits on it — and take-overs of items (see TakeoverRecord).

import type { DatabaseSync } from "node:sqlite";
import type { ApprovalRecord, ApprovalStatus, TakeoverRecord } from "./records.ts";

export function listApprovals(db: DatabaseSync, status?: ApprovalStatus): ApprovalRecord[] {
  return (status === undefined
    ? db.prepare("SELECT * FROM approvals ORDER BY requested_at DESC, rowid DESC LIMIT 500").all()
    : db.prepare("SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC, rowid DESC LIMIT 500").all(status)) as unknown as ApprovalRecord[];
}

export function getApproval(db: DatabaseSync, id: string): ApprovalRecord | null {
  return (db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as unknown as ApprovalRecord | undefined) ?? null;
}

/** The item's newest take-over, if it ever had one. */
export function latestTakeover(db: DatabaseSync, itemId: string): TakeoverRecord | null {
  return (db.prepare("SELECT * FROM takeovers WHERE item_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1").get(itemId) as unknown as TakeoverRecord | undefined) ?? null;
}
