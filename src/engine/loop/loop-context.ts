// What every part of the plan loop shares for one run.

import type { AgentRegistry } from "../../agents/registry.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { PlanSource } from "../../plan/plan.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import type { AttemptPipeline } from "../attempt/pipeline.ts";
import type { SerialQueue } from "./merge-queue.ts";
import type { ShadowControl } from "./shadow.ts";
import type { LoopRecorder } from "./recorder.ts";

export type WorkspaceMode = "worktree" | "none";

export interface LoopContext {
  paths: ProjectPaths;
  config: ViableConfig;
  registry: AgentRegistry;
  pipeline: AttemptPipeline;
  /** The plan's source (format, file, tag): part of every item's identity in its merge commit. */
  source: PlanSource;
  recorder: LoopRecorder;
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
  /** What an agent that stopped for a person leads to (loop.on_needs_input, resolved for this run). */
  onNeedsInput: "wait" | "retry" | "block";
  /** The agent that resolves merge conflicts in the queue (`loop.integrator`), when there is one. */
  integrator?: AgentDefinition;
  /** Whether shadows may start (`viable shadow off`), and the running ones. */
  shadows: ShadowControl;
}

/**
 * What working an item in worktrees needs — the loop's context, or `viable run --best-of`'s own
 * (engine/best-of-run.ts): candidates, their agents, checks and events.
 */
export type WorkContext = Pick<LoopContext, "paths" | "config" | "registry" | "pipeline" | "adminQueue" | "integration" | "projectVerify" | "runId" | "signal"> & {
  recorder: Pick<LoopRecorder, "event">;
};

/**
 * - all_passed: every item passed
 * - blocked: nothing more can run; some items are blocked
 * - max_sessions: the session limit of this run was reached
 * - failure_streak: too many attempts failed in a row (`loop.max_consecutive_failures`)
 * - budget_exceeded: the run's or the task's budget is spent
 * - claimed: nothing else can run; what remains is claimed by someone else (or waits for it)
 * - interrupted: Ctrl-C or a signal
 * - kill_switch: `viable stop`
 * - failed: something outside the items stopped the loop (a full disk, the main worktree in the way)
 */
export const LOOP_OUTCOMES = ["all_passed", "blocked", "claimed", "max_sessions", "failure_streak", "budget_exceeded", "interrupted", "kill_switch", "failed"] as const;
export type LoopOutcome = (typeof LOOP_OUTCOMES)[number];
