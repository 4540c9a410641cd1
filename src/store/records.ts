// The rows the journal keeps, as typed values: what goes in through `changes.ts` and comes out of
// the named queries. Persisted JSON inside them (outcomes, metrics, settings) is validated on read.

import type { AttemptOutcome } from "../domain/outcome.ts";

export type TaskStatus = "pending" | "in_progress" | "completed" | "failed";

/** Seed 001's CurrentTask, field for field, plus where it ran. */
export interface TaskRecord {
  id: string;
  description: string;
  created_at: string;
  updated_at: string;
  status: TaskStatus;
  complexity: string;
  assigned_agents: string[];
  metadata: Record<string, unknown>;
  session_id: string;
  owner_pid: number | null;
  failure_reason: string | null;
}

export type TaskPatch = Partial<Omit<TaskRecord, "id">>;

export type AttemptStatus = "running" | "finished" | "interrupted";

export interface AttemptRecord {
  id: string;
  task_id: string;
  item_id: string | null;
  agent: string;
  runtime: string;
  attempt_no: number;
  status: AttemptStatus;
  pid: number | null;
  started_at: string;
  ended_at: string | null;
  outcome: AttemptOutcome | null;
  transcript_path: string | null;
}

export const ITEM_PHASES = ["workspace", "agents", "needs_input", "verifying", "queued", "merging"] as const;
/**
 * Where a running item is, so a resumed loop knows what its branch holds:
 * - workspace: the worktree is being made and set up
 * - agents: agents are working; their work is not known to be good
 * - needs_input: an agent stopped for a person (loop.on_needs_input: wait); its worktree is kept
 *   as it left it, for `viable attach` or an answer
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

export interface KillSwitch {
  engaged: boolean;
  since: string;
  by_pid: number;
  reason: string;
  /** Where it was engaged from: "cli", "dashboard", ... (absent in values older than the dashboard). */
  source?: string;
}

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * An S5 approval a writer asked for. The writer waits on it; the answer comes from its terminal or
 * from anywhere that can write the journal (the dashboard), and the first answer holds.
 */
export interface ApprovalRecord {
  id: string;
  task_id: string | null;
  item_id: string | null;
  /** What is to be approved: "allocation", ... */
  subject: string;
  question: string;
  requested_at: string;
  requested_by_pid: number | null;
  status: ApprovalStatus;
  /** Who answered: "terminal", "dashboard", "mcp"; "timeout" when it expired. */
  answered_by: string | null;
  answered_at: string | null;
  comment: string | null;
}

export const TAKEOVER_STATUSES = ["active", "ended", "abandoned"] as const;
export type TakeoverStatus = (typeof TAKEOVER_STATUSES)[number];

/**
 * A person working an item's agent session (`viable attach`): active while the tmux session runs;
 * ended when it ended (the loop then verifies and merges the item as if the agent had finished);
 * abandoned when `viable attach` died without seeing it end (its session is then ended).
 */
export interface TakeoverRecord {
  id: string;
  item_id: string;
  attempt_id: string | null;
  runtime: string;
  /** The agent CLI's own session id, when it had one. */
  session: string | null;
  tmux_socket: string;
  tmux_session: string;
  by_user: string;
  /** The `viable attach` process. */
  pid: number;
  started_at: string;
  ended_at: string | null;
  status: TakeoverStatus;
}

/** What a re-import keeps of an item that had passed: merged work does not un-happen. */
export interface PassedItem {
  attempts: number;
  branch: string | null;
  merged_commit: string | null;
}

/** `viable shadow off`: no shadow runs while it is engaged (see engine/loop/shadow.ts). */
export interface ShadowSwitch {
  off: boolean;
  since: string;
  by_pid: number;
  source?: string;
}
