// What every part of the plan loop shares for one run.

import type { AgentRegistry } from "../../agents/registry.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { PlanItem, PlanSource } from "../../plan/plan.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import type { AttemptPipeline } from "../attempt/pipeline.ts";
import type { ItemWorkspace, RecordedCheck } from "./item-workspace.ts";
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
  /**
   * Workers on other machines do the items' work (a Postgres store and `loop.remote`): this loop
   * only schedules, merges and records. Absent: the work happens here.
   */
  remote?: RemoteWork;
}

/** What a distributed loop's coordinator asks of the workers (src/swarm/coordinator.ts). */
export interface RemoteWork {
  /**
   * Has a worker do one attempt's work — workspace, agents, commit, verification — from the
   * integration branch's tip, and brings its branch here as a worktree to merge. An item failure
   * comes back as an AttemptFailure; an abort of `signal` stops the agent on whichever machine.
   */
  work(input: RemoteWorkInput): Promise<RemoteResult>;
  /** The integration branch moved here (a merge): workers must start from it. */
  published(commit: string): Promise<void>;
  /** What every try of an item's job spent, from the attempts its workers recorded (a shadow's comparison). */
  spent(itemId: string, job: string): Promise<{ usd: number; tokens: number }>;
  /** The run is over: timers of its own stop. */
  close(): void;
}

export interface RemoteWorkInput {
  item: PlanItem;
  attempt: number;
  slot: number;
  /** The queue: the runtime of the item's first agent (runtime limits hold across machines). */
  runtime: string;
  previousFailure: string | undefined;
  answered: { question: string; answer: string | null } | undefined;
  signal: AbortSignal;
  /** The attempt's job is on its queue: recorded with the item, so a coordinator that restarts takes it up. */
  onDispatched: (job: { id: string; queue: string }) => void;
}

export interface RemoteResult {
  workspace: ItemWorkspace;
  checks: RecordedCheck[];
  attemptId: string | null;
  /** Which worker did it (host and pid), for the record. */
  worker: string;
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
