// An item attempt's workspace: a fresh worktree on `viable/<item>` from the integration branch's
// current tip, after keeping whatever an earlier attempt left there; the project's setup hook run
// in it; and, once the agents are done, the checks that the worktree and its branch are still what
// Viable made (agents can delete directories and rewrite history) before their work is committed.

import fs from "node:fs";
import { runVerification, type VerificationInput } from "../../audit/verification.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { OutcomeFailure } from "../../domain/outcome.ts";
import type { ItemId } from "../../plan/plan.ts";
import type { ProjectPaths } from "../../workspace/paths.ts";
import {
  addWorktree, commitAll, isAncestor, itemBranch, itemWorktreeDir, keepWork, recordSetupPaths, refTips, samePath, uncommittedPaths, worktreeState,
  type KeptWork, type WorktreeState,
} from "../../workspace/worktrees.ts";

export interface ItemWorkspace {
  dir: string;
  branch: string;
  base: string;
}

/** A failure of the attempt (not of Viable): the item is retried, or blocked after its last attempt. */
export class AttemptFailure extends Error {
  /** What the next attempt's agents are told. */
  readonly context: string;
  /** An agent's typed failure, when there is one (a spent budget stops more than this attempt). */
  readonly failure: OutcomeFailure | undefined;
  /** The files, when the item's work conflicted with the integration branch (a lost merge race). */
  readonly conflict: readonly string[] | undefined;
  /** The verification's checks, when it was the verification that failed: recorded for people to read. */
  readonly checks: readonly RecordedCheck[] | undefined;
  /** An agent stopped for a person: what it asks (its last words and what it was denied). */
  question: string | undefined;
  /**
   * With a question, when the agent worked on another machine (a worker): its unfinished work,
   * fetched into the item's worktree here, for a person to take over or the answer to follow.
   */
  workspace: ItemWorkspace | undefined;
  /** The agent attempt that ended it, when it ran on another machine (a worker) and was not seen here. */
  attemptId: string | null | undefined;
  constructor(message: string, context = message, failure?: OutcomeFailure, conflict?: readonly string[], checks?: readonly RecordedCheck[]) {
    super(message);
    this.name = "AttemptFailure";
    this.context = context;
    this.failure = failure;
    this.conflict = conflict;
    this.checks = checks;
  }
}

/** A verification check as the journal keeps it: the command, whether it passed, and the end of its output. */
export interface RecordedCheck {
  command: string;
  passed: boolean;
  duration_ms: number;
  output_tail: string;
}

/** Output kept per check in the journal; the whole output is in the check's transcript. */
const RECORDED_OUTPUT_CHARS = 2000;

export function recordedChecks(checks: readonly { command: string; passed: boolean; duration_ms: number; output_tail: string }[]): RecordedCheck[] {
  return checks.map((c) => ({ command: c.command, passed: c.passed, duration_ms: c.duration_ms, output_tail: c.output_tail.slice(-RECORDED_OUTPUT_CHARS) }));
}

export interface PreparedWorkspace {
  workspace: ItemWorkspace;
  kept: KeptWork;
}

/** Keeps an earlier attempt's work, then makes the worktree from the integration branch's tip. */
export async function prepareWorkspace(
  paths: ProjectPaths, itemId: ItemId, integration: string, keptLabel: string, signal: AbortSignal,
): Promise<PreparedWorkspace> {
  const dir = itemWorktreeDir(paths, itemId);
  const branch = itemBranch(itemId);
  const kept = await keepWork(paths.root, itemId, dir, integration, keptLabel, { signal });
  if (!kept.removed && fs.existsSync(dir)) {
    // keepWork left it in place because something could not be saved: never overwrite it.
    throw new AttemptFailure(`the worktree ${dir} holds work that could not be kept automatically: ${kept.note ?? "unknown reason"}; move it away to let the item run again`);
  }
  const base = (await refTips(paths.root, [`refs/heads/${integration}`], { signal })).get(`refs/heads/${integration}`);
  if (!base) throw new Error(`the integration branch ${integration} has no commit`);
  await addWorktree(paths.root, dir, branch, base, { signal });
  return { workspace: { dir, branch, base }, kept };
}

/**
 * Runs `workspace.setup` in the worktree and remembers the paths it created or changed, which are
 * then never committed as the agents' work (a copied `.env`, an installed `node_modules`).
 */
export async function runSetup(
  config: ViableConfig, paths: ProjectPaths, ws: ItemWorkspace, env: Record<string, string>, label: string, signal: AbortSignal,
  strategy: VerificationInput["strategy"] = {},
): Promise<void> {
  if (config.workspace.setup.length === 0) return;
  const report = await runVerification({
    commands: config.workspace.setup, cwd: ws.dir, signal, env,
    timeoutMs: config.workspace.setup_timeout * 1000, killGraceMs: config.defaults.kill_grace_ms, maxOutputBytes: config.defaults.max_output_bytes,
    transcriptDir: paths.transcriptsDir, label: `${label}-setup`, requireCommands: false, agentFailures: [], strategy,
  });
  if (signal.aborted) throw signal.reason;
  if (!report.passed) {
    throw new AttemptFailure(`workspace setup failed: ${report.findings.join("; ")}`, `The workspace setup (workspace.setup in .viable/config.json) failed:\n${report.feedback}`);
  }
  await recordSetupPaths(ws.dir, await uncommittedPaths(ws.dir, [], { signal }), { signal });
}

/**
 * After the agents: the worktree must still exist, be on the item's branch, and that branch must
 * still contain the base it started from. Anything else is reported as the attempt's failure; the
 * work that is there is kept by the next attempt's `prepareWorkspace`.
 */
export async function checkIntegrity(ws: ItemWorkspace, signal: AbortSignal): Promise<WorktreeState> {
  if (!fs.existsSync(ws.dir)) {
    throw new AttemptFailure(`the agent deleted its worktree ${ws.dir}`, "Your previous attempt deleted its own working directory. Work only inside the directory you are started in, and do not remove it.");
  }
  const state = await worktreeState(ws.dir, { signal });
  if (state === null || !samePath(state.top, ws.dir)) {
    throw new AttemptFailure(`the agent broke its worktree ${ws.dir} (it is no longer a git worktree of its own)`, "Your previous attempt removed the git metadata of its working directory. Do not touch .git.");
  }
  if (state.branch !== ws.branch) {
    throw new AttemptFailure(`the agent left the item's branch ${ws.branch} (HEAD is now ${state.branch ?? "detached"})`,
      `Your previous attempt switched away from the branch ${ws.branch}. Stay on it and commit there.`);
  }
  if (state.head === null) {
    throw new AttemptFailure(`the agent's branch ${ws.branch} has no commits (an orphan branch?)`, `Your previous attempt emptied the branch ${ws.branch}. Do not create orphan branches.`);
  }
  // Agents rarely commit: a branch still at its base needs no ancestry check.
  if (state.head !== ws.base && !(await isAncestor(ws.dir, ws.base, state.head, { signal }))) {
    throw new AttemptFailure(`the agent rewrote history: ${ws.branch} no longer contains its base ${ws.base.slice(0, 12)}`,
      `Your previous attempt rewrote the branch's history to before its base commit ${ws.base}. Do not reset or rebase below it.`);
  }
  return state;
}

/** Commits what the agents left uncommitted (in a worktree `checkIntegrity` just looked at); returns the branch's head. */
export async function commitWork(ws: ItemWorkspace, state: WorktreeState, itemId: ItemId, attempt: number, signal: AbortSignal): Promise<string> {
  const committed = await commitAll(ws.dir, `viable: work on ${itemId} (attempt ${attempt})`, { signal, state });
  const head = committed ?? state.head;
  if (head === null) throw new AttemptFailure(`the branch ${ws.branch} has no commit after the agents`);
  return head;
}
