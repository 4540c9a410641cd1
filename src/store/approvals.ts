// Reading what people are asked and do: S5 approvals (see ApprovalRecord) — the pending ones for an
// inbox, one for the writer that waits on it — and take-overs of items (see TakeoverRecord).

import type { SqlReader } from "./sql.ts";
import type { ApprovalRecord, ApprovalStatus, TakeoverRecord } from "./records.ts";

export async function listApprovals(db: SqlReader, status?: ApprovalStatus): Promise<ApprovalRecord[]> {
  return status === undefined
    ? await db.all<ApprovalRecord>("SELECT * FROM approvals ORDER BY requested_at DESC, rowid DESC LIMIT 500")
    : await db.all<ApprovalRecord>("SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC, rowid DESC LIMIT 500", [status]);
}

export async function getApproval(db: SqlReader, id: string): Promise<ApprovalRecord | null> {
  return (await db.get<ApprovalRecord>("SELECT * FROM approvals WHERE id = ?", [id])) ?? null;
}

/** The item's newest take-over, if it ever had one. */
export async function latestTakeover(db: SqlReader, itemId: string): Promise<TakeoverRecord | null> {
  return (await db.get<TakeoverRecord>("SELECT * FROM takeovers WHERE item_id = ? ORDER BY started_at DESC, rowid DESC LIMIT 1", [itemId])) ?? null;
}
