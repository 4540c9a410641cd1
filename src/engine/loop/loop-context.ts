// What every part of the plan loop shares for one run, and the events it reports.

import type { AgentRegistry } from "../../agents/registry.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { Runtime, RuntimeName } from "../../domain/runtime.ts";
import type { SchedulerCounts } from "../../plan/scheduler.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import type { SerialQueue } from "./merge-queue.ts";
import type { PlanRecorder } from "./plan-recorder.ts";

export type WorkspaceMode = "worktree" | "none";

export interface LoopContext {
  paths: ProjectPaths;
  config: ViableConfig;
  registry: AgentRegistry;
  runtimeFor: (name: RuntimeName) => Runtime;
  recorder: PlanRecorder;
  mode: WorkspaceMode;
  /** The branch items merge into; null in workspace mode `none`. */
  integration: string | null;
  /** The project's verify commands (config `verify`, else the detected test command). */
  projectVerify: string[];
  mergeQueue: SerialQueue;
  /** Worktree creation and removal, one at a time: git locks its worktree list while it changes it. */
  adminQueue: SerialQueue;
  runId: string;
  signal: AbortSignal;
  emit: (event: LoopEvent) => void;
}

/**
 * What `viable loop --json` prints, one JSON object per line, and what the live display reads.
 * Every event carries the counts after it.
 */
export type LoopEvent = { counts: SchedulerCounts; at: string } & (
  | { type: "loop_started"; run_id: string; items: number; mode: WorkspaceMode; integration_branch: string | null; concurrency: number }
  | { type: "reconciled"; synced_from_git: string[]; resumed: string[]; reset: string[]; reaped: number; notes: string[] }
  | { type: "item_started"; item: string; attempt: number; agents: string[]; base: string | null; workspace: string }
  | { type: "agent_started"; item: string; agent: string; attempt_id: string }
  | { type: "agent_finished"; item: string; agent: string; attempt_id: string; status: string; summary: string }
  | { type: "item_verified"; item: string }
  | { type: "item_passed"; item: string; commit: string | null; reverified: boolean; elapsed_seconds: number }
  | { type: "item_failed"; item: string; attempt: number; reason: string; will_retry: boolean; kept_branch: string | null }
  | { type: "item_blocked"; item: string; reason: string; dependents: string[] }
  | { type: "note"; item?: string; message: string }
  | { type: "circuit_open"; consecutive_failures: number; continued: boolean }
  | { type: "loop_finished"; outcome: LoopOutcome; message: string; elapsed_seconds: number; sessions: number }
);

export type LoopEventType = LoopEvent["type"];

/**
 * - all_passed: every item passed
 * - blocked: nothing more can run; some items are blocked
 * - max_sessions: the session limit of this run was reached
 * - circuit_open: too many attempts failed in a row
 * - interrupted: Ctrl-C or a signal
 * - kill_switch: `viable stop`
 * - failed: something outside the items stopped the loop (a full disk, the main worktree in the way)
 */
export type LoopOutcome = "all_passed" | "blocked" | "max_sessions" | "circuit_open" | "interrupted" | "kill_switch" | "failed";
