// What the plan loop's events carry, by event type. The loop records them in the journal; every
// reader of the stream (`viable loop --json`, the live display, tests, a dashboard) reads these
// shapes. Item events also carry the item's status after the event.

import type { CandidateResult } from "./candidates.ts";

/** One side of a shadow pair: who ran and how it did. */
export type ShadowSide = Pick<CandidateResult, "agent" | "runtime" | "model" | "passed" | "stopped" | "reason" | "files" | "diff_lines" | "cost_usd" | "tokens" | "duration_s">;
import type { OutcomeFailure } from "./outcome.ts";

export interface ItemCounts {
  pending: number;
  running: number;
  passed: number;
  blocked: number;
  failed: number;
  ready: number;
}

export interface LoopEventData {
  /** The counts every reader starts from: from here on each item event carries the item's new status. */
  loop_started: { run_id: string; items: number; mode: "worktree" | "none"; integration_branch: string | null; concurrency: number; counts: ItemCounts; left_alone: string[] };
  loop_reconciled: { synced_from_git: string[]; resumed: string[]; reset: string[]; reaped: number; notes: string[] };
  item_started: { item: string; attempt: number; agents: string[]; resumed?: boolean; rationale?: string; candidates?: number; base?: string | null; workspace?: string; phase?: string };
  /** A phase change of a running item (workspace made, agents done, merging ...), or an interrupted item put back. */
  item_status: { item: string; phase?: string | null; [detail: string]: unknown };
  item_verified: { item: string; checks: { command: string; passed: boolean; duration_ms: number }[] };
  /** `via: "git history"` when the start-up sync found its completion commit. */
  item_passed: { item: string; attempt?: number; commit: string | null; reverified?: boolean; elapsed_seconds?: number; via?: "git history"; group?: boolean };
  /** `conflict`: the files of a lost merge race (not counted as the item's failure); `conflicts`: races lost in this run. */
  item_failed: { item: string; attempt: number; reason: string; will_retry: boolean; kept_branch: string | null; failure: OutcomeFailure | null; conflict?: readonly string[]; conflicts?: number };
  /** `blocked_by`: on each dependent of an item that was blocked; the item's own event lists them. */
  item_blocked: { item: string; reason: string; dependents?: string[]; blocked_by?: string };
  /** A conflicted merge resolved in the queue (by git's own merge, or the integrator agent), before it was verified again. */
  item_conflict_resolved: { item: string; attempt: number; files: readonly string[]; agent: string; attempt_id: string | null; cost_usd: number | null };
  /**
   * An agent stopped for a person (loop.on_needs_input: wait): the item waits, its worktree kept,
   * until someone takes it over (`viable attach`), answers (approval `approval_id`) or blocks it.
   */
  item_waiting: { item: string; attempt: number; question: string; attempt_id: string | null; approval_id: string; take_over: string };
  /** A person took the item's agent session over in tmux. */
  item_taken_over: { item: string; by: string; takeover_id: string; attach: string };
  /** The take-over ended (`ended`: the loop goes on from verification) or its `viable attach` died (`abandoned`: the item waits again). */
  item_handed_back: { item: string; by: string; takeover_id: string; seconds: number; status: "ended" | "abandoned" };
  /** A person answered a waiting item: `retry` with their answer for the agent, or `block`. */
  item_answered: { item: string; by: string; decision: "retry" | "block"; answer: string | null };
  loop_note: { item?: string; message: string };
  failure_streak: { consecutive_failures: number; continued: boolean };
  /** Every runtime of an agent's chain is at its provider's usage limit: nothing new starts until `until`. */
  loop_paused: { until: string; runtimes: string[]; reason: string };
  loop_resumed: { paused_seconds: number };
  /** One best-of-N candidate done (domain/candidates.ts): how it did, measured by the harness. */
  item_candidate_finished: { item: string; attempt: number } & CandidateResult;
  /** The evaluator's choice among an item's candidates, with its reasons; `winner` null when none passed. */
  /** A shadow run beside the item's agent, both sides measured alike (never merged); `complete` false when the shadow was stopped. */
  item_shadow_compared: { item: string; attempt: number; primary: ShadowSide; shadow: ShadowSide; complete: boolean; agree: boolean; same_files: boolean; diff_file: string | null };
  item_candidates_evaluated: { item: string; attempt: number; policy: "best" | "first_pass"; winner: number | null; by: "score" | "reviewer" | "first_pass" | null; reasons: string; results: CandidateResult[] };
  loop_finished: { outcome: string; message: string; counts: ItemCounts; elapsed_seconds: number; sessions: number; left_alone: string[] };
}

export type LoopEventType = keyof LoopEventData;
