// Reading S5 approvals (see ApprovalRecord): the pending ones for an inbox, one for the writer that
// waits on it.

import type { DatabaseSync } from "node:sqlite";
import type { ApprovalRecord, ApprovalStatus } from "./records.ts";

export function listApprovals(db: DatabaseSync, status?: ApprovalStatus): ApprovalRecord[] {
  return (status === undefined
    ? db.prepare("SELECT * FROM approvals ORDER BY requested_at DESC, rowid DESC LIMIT 500").all()
    : db.prepare("SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC, rowid DESC LIMIT 500").all(status)) as unknown as ApprovalRecord[];
}

export function getApproval(db: DatabaseSync, id: string): ApprovalRecord | null {
  return (db.prepare("SELECT * FROM approvals WHERE id = ?").get(id) as unknown as ApprovalRecord | undefined) ?? null;
}
