// One attempt at one plan item, start to finish: workspace, agents, commit, verification, and the
// merge queue. Every step is recorded as it happens; the item's phase says how far a crash got, so
// a resumed loop can pick the work up (loop-reconcile.ts). The agents run through the attempt
// pipeline, with every policy `viable run` has. Failures the item caused are `AttemptFailure`s and
// come back as values; an interruption comes back as one too.

import { abortReason, errorMessage } from "../../domain/errors.ts";
import type { OutcomeFailure } from "../../domain/outcome.ts";
import type { PlanItem } from "../../plan/plan.ts";
import { CommitFailed } from "../../store/journal.ts";
import { removeMergedWorkspace } from "../../workspace/worktrees.ts";
import { allocateItem, type ItemAllocation } from "./item-allocation.ts";
import { runAgents } from "./item-agents.ts";
import { candidatesFor, diffStats, runCandidates } from "./candidates.ts";
import { finishShadow, shadowFor, startShadow, type PrimaryMeasure, type RunningShadow } from "./shadow.ts";
import { itemEnv, label } from "./item-env.ts";
import { verifyCommands } from "./item-verify.ts";
import { AttemptFailure, checkIntegrity, commitWork, prepareWorkspace, recordedChecks, runSetup, type ItemWorkspace, type RecordedCheck } from "./item-workspace.ts";
import type { LoopContext } from "./loop-context.ts";
import { resolveConflict } from "./conflict-resolution.ts";
import { mergeItem, MergeBlocked } from "./merge-queue.ts";

export interface ItemAttemptInput {
  item: PlanItem;
  attempt: number;
  /** Worktree slot, for VIABLE_PORT_BASE. */
  slot: number;
  /** Continue an interrupted attempt whose agents had finished: verify and merge what its branch holds. */
  resume?: ItemWorkspace;
  /** Why the previous attempt failed, for the agents. */
  previousFailure?: string;
  /** The previous attempt's question, and a person's answer to it: told to the agents instead. */
  answered?: { question: string; answer: string | null };
}

/** `attemptId`: the last agent attempt of this item attempt, if any ran. */
export type AttemptEnd =
  | { kind: "passed"; commit: string | null; reverified: boolean; attemptId: string | null }
  /** `failure`: when an agent's outcome says why in a way policies act on (a spent budget). */
  | { kind: "failed"; reason: string; context: string; keptBranch: string | null; attemptId: string | null; failure?: OutcomeFailure; conflict?: readonly string[]; checks?: readonly RecordedCheck[]; question?: string }
  /**
   * An agent stopped for a person and loop.on_needs_input is `wait`: the worktree stays as the
   * agent left it (uncommitted), for a take-over or an answer.
   */
  | { kind: "needs_input"; question: string; reason: string; context: string; attemptId: string | null; workspace: ItemWorkspace }
  | { kind: "interrupted"; reason: string }
  /** Not the item's fault, and the loop cannot go on (a full disk, the main worktree in the way). */
  | { kind: "fatal"; error: Error };

export async function runItemAttempt(ctx: LoopContext, input: ItemAttemptInput): Promise<AttemptEnd> {
  const beside: Beside = {
    shadow: null, job: null,
    primary: { agent: "", runtime: "", model: null, passed: false, reason: null, files: [], diff_lines: 0, tally: { usd: 0, tokens: 0 }, started: performance.now(), ended: 0 },
  };
  const end = await itemAttempt(ctx, input, beside);
  beside.primary.ended = performance.now();
  if (beside.shadow && beside.job !== null && ctx.remote) {
    // The primary ran on a worker: what it spent is in the attempts that worker recorded for the job.
    beside.primary.tally = await ctx.remote.spent(input.item.id, beside.job).catch(() => beside.primary.tally);
  }
  if (beside.shadow) {
    if (end.kind === "failed" && !beside.primary.passed) beside.primary.reason = end.reason;
    // Recorded when the shadow is done; the item goes on (merged, its dependents free) meanwhile.
    ctx.shadows.background(finishShadow(ctx, { item: input.item, attempt: input.attempt }, beside.shadow, beside.primary)
      .catch((e: unknown) => note(ctx, input.item, `the shadow run could not be recorded: ${e instanceof Error ? e.message : String(e)}`)));
  }
  return end;
}

/** A shadow running beside the item's agent, and the primary's measures for the comparison. */
interface Beside {
  shadow: RunningShadow | null;
  primary: PrimaryMeasure;
  /** The job of a primary that ran on a worker. */
  job: string | null;
}

async function itemAttempt(ctx: LoopContext, input: ItemAttemptInput, beside: Beside): Promise<AttemptEnd> {
  const { item, attempt } = input;
  const { recorder, signal } = ctx;
  let keptBranch: string | null = null;
  const last: { attemptId: string | null } = { attemptId: null };
  let ws: ItemWorkspace | null = input.resume ?? null;
  /** Whose worktree and branch `ws` is: the item's, or its winning candidate's. */
  let wsId = item.id;
  try {
    const allocation = input.resume ? null : allocateItem(item, ctx.registry, ctx.config);
    const cwd = () => ws?.dir ?? ctx.paths.root;
    const candidates = allocation && ctx.mode === "worktree" ? candidatesFor(item, ctx.config) : null;
    if (allocation && ctx.mode !== "worktree" && candidatesFor(item, ctx.config)) note(ctx, item, "best-of-N needs worktrees (workspace.mode worktree): one attempt instead");
    let verified: RecordedCheck[] | null = null;

    if (candidates) {
      // Several candidates, each in its own worktree; the harness's choice comes back verified.
      recorder.item(item.id, "item_started", { attempt, agents: allocation!.steps.map((s) => s.agent.name), rationale: allocation!.rationale, candidates: candidates.length }, { phase: "agents", last_error: null });
      const won = await runCandidates(ctx, { item, attempt, slot: input.slot, allocation: allocation!, candidates, previousFailure: input.previousFailure, answered: input.answered });
      ws = won.workspace;
      wsId = won.workspaceId;
      last.attemptId = won.attemptId;
      verified = won.checks;
      recorder.item(item.id, "item_status", { phase: "verifying", branch: ws.branch, base: ws.base, workspace: ws.dir }, { phase: "verifying", branch: ws.branch, base_commit: ws.base });
    } else if (ctx.remote && allocation && ctx.mode === "worktree") {
      // A worker on another machine does the work; its verified branch comes back here to merge.
      recorder.item(item.id, "item_started", { attempt, agents: allocation.steps.map((s) => s.agent.name), rationale: allocation.rationale }, { phase: "workspace", last_error: null });
      const done = await ctx.remote.work({
        item, attempt, slot: input.slot, runtime: allocation.steps[0]!.agent.runtime, previousFailure: input.previousFailure, answered: input.answered, signal,
        onDispatched: (job) => {
          beside.job = job.id;
          recorder.item(item.id, "item_status", { phase: "agents", attempt, job: job.id, queue: job.queue }, { phase: "agents" });
          // A shadow runs here, on the coordinator's machine, once its primary's job is on its way.
          startShadowOf(ctx, input, allocation, beside);
        },
      });
      ws = done.workspace;
      last.attemptId = done.attemptId;
      verified = done.checks;
      if (beside.shadow) {
        const stats = await diffStats(ws.dir, ws.base, "HEAD", signal);
        Object.assign(beside.primary, { files: stats.files, diff_lines: stats.lines });
      }
      recorder.item(item.id, "item_status", { phase: "verifying", branch: ws.branch, base: ws.base, workspace: ws.dir, worker: done.worker }, { phase: "verifying", branch: ws.branch, base_commit: ws.base });
    } else if (input.resume) {
      recorder.item(item.id, "item_started", { attempt, resumed: true, agents: [], phase: "verifying", base: input.resume.base, workspace: input.resume.dir }, { phase: "verifying" });
    } else if (ctx.mode === "worktree") {
      const integration = ctx.integration!;
      recorder.item(item.id, "item_started", { attempt, agents: allocation!.steps.map((s) => s.agent.name), rationale: allocation!.rationale }, { phase: "workspace", last_error: null });
      // What an earlier attempt left is kept under its number ("interrupted" for an uncounted one).
      const keptLabel = attempt > 1 ? `attempt-${attempt - 1}` : "interrupted";
      const prepared = await ctx.adminQueue.run(() => prepareWorkspace(ctx.paths, item.id, integration, keptLabel, signal));
      ws = prepared.workspace;
      keptBranch = prepared.kept.keptBranch;
      if (keptBranch) note(ctx, item, `kept the previous attempt's work on branch ${keptBranch}`);
      recorder.item(item.id, "item_status", { phase: "workspace", branch: ws.branch, base: ws.base, workspace: ws.dir, kept_branch: keptBranch }, { branch: ws.branch, base_commit: ws.base });
      await runSetup(ctx.config, ctx.paths, ws, itemEnv(ctx, item, input.slot, ws), label(ctx, item, attempt), signal, ctx.pipeline.processes);
      startShadowOf(ctx, input, allocation!, beside);
    } else {
      recorder.item(item.id, "item_started", { attempt, agents: allocation!.steps.map((s) => s.agent.name), base: null, workspace: ctx.paths.root }, { phase: "agents", last_error: null });
    }
    const env = itemEnv(ctx, item, input.slot, ws);

    if (verified !== null) {
      // The candidates' verification stands for the winner's.
    } else if (!input.resume) {
      if (ws) recorder.item(item.id, "item_status", { phase: "agents" }, { phase: "agents" });
      await runAgents(ctx, { item, attempt, allocation: allocation!, cwd: cwd(), env, previousFailure: input.previousFailure, keptBranch, last, answered: input.answered, signal, tally: beside.primary.tally });
      if (ws) {
        const state = await checkIntegrity(ws, signal);
        const head = await commitWork(ws, state, item.id, attempt, signal);
        if (beside.shadow) {
          const stats = await diffStats(ws.dir, ws.base, head, signal);
          Object.assign(beside.primary, { files: stats.files, diff_lines: stats.lines });
        }
        recorder.item(item.id, "item_status", { phase: "verifying", head }, { phase: "verifying" });
      }
    } else if (ws) {
      // The interrupted attempt's agents had finished; whatever they left is committed before verifying.
      await commitWork(ws, await checkIntegrity(ws, signal), item.id, attempt, signal);
    }

    const verify = [...item.verify, ...ctx.projectVerify];
    if (verified !== null) {
      recorder.item(item.id, "item_verified", { checks: verified }, { phase: "queued" });
    } else if (verify.length > 0) {
      const report = await verifyCommands(ctx, { commands: verify, cwd: cwd(), env, label: label(ctx, item, attempt), signal });
      if (!report.passed) {
        throw new AttemptFailure(`verification failed: ${report.findings.join("; ")}`, `Your previous attempt failed verification:\n${report.feedback}`, undefined, undefined, recordedChecks(report.checks));
      }
      recorder.item(item.id, "item_verified", { checks: recordedChecks(report.checks) }, { phase: ws ? "queued" : null });
    } else {
      recorder.item(item.id, "item_verified", { checks: [] }, { phase: ws ? "queued" : null });
    }
    beside.primary.passed = true;

    if (!ws) return { kind: "passed", commit: null, reverified: false, attemptId: last.attemptId };
    const workspace = ws;
    const merged = await ctx.mergeQueue.run(async () => {
      if (signal.aborted) throw signal.reason;
      recorder.item(item.id, "item_status", { phase: "merging" }, { phase: "merging" });
      // Durable before the integration branch can move: a crash after the fast-forward then finds
      // the item merging and its completion commit in git, rather than an item still queued.
      await recorder.flush();
      if (signal.aborted) throw signal.reason;
      const integrator = ctx.integrator;
      return mergeItem({
        paths: ctx.paths, config: ctx.config, integration: ctx.integration!, source: ctx.source, item, attempt, runId: ctx.runId, workspace, verify, env, signal, processes: ctx.pipeline.processes,
        ...(integrator ? {
          resolve: async (conflict: { tip: string; head: string; files: string[]; conflictedTree: string }) => {
            const r = await resolveConflict(ctx, integrator, { item, attempt, env, ...conflict });
            recorder.event("item_conflict_resolved", { item: item.id, attempt, files: conflict.files, agent: r.agent, attempt_id: r.attemptId, cost_usd: r.costUsd });
            return r.tree;
          },
        } : {}),
      });
    });
    // Merged: from here on nothing may turn this into a failure (a retry would merge it twice).
    if (ctx.remote) {
      try {
        await ctx.remote.published(merged.commit);
      } catch (e) {
        note(ctx, item, `merged; the remote's integration branch could not be updated yet: ${errorMessage(e)}`);
      }
    }
    try {
      const left = await ctx.adminQueue.run(() => removeMergedWorkspace(ctx.paths.root, wsId, workspace.dir, ctx.integration!, { merged: { commit: merged.commit, gitDir: merged.gitDir } }));
      for (const l of left) note(ctx, item, `merged; left in place: ${l}`);
    } catch (e) {
      note(ctx, item, `merged; its worktree could not be removed: ${errorMessage(e)}`);
    }
    return { kind: "passed", commit: merged.commit, reverified: merged.reverified, attemptId: last.attemptId };
  } catch (e) {
    if (signal.aborted) return { kind: "interrupted", reason: abortReason(signal, "interrupted") };
    if (e instanceof AttemptFailure) {
      last.attemptId ??= e.attemptId ?? null;
      // A worker's agent left its work on the remote; it is in the item's worktree here now, set up
      // as a local one would be (a person taking it over, and its verification, need that).
      const waiting = ws ?? e.workspace ?? null;
      if (ws === null && e.workspace && e.question !== undefined && ctx.onNeedsInput === "wait") {
        await runSetup(ctx.config, ctx.paths, e.workspace, itemEnv(ctx, item, input.slot, e.workspace), label(ctx, item, attempt), signal, ctx.pipeline.processes)
          .catch((setupFailed: unknown) => note(ctx, item, `the setup hook failed in the worktree here: ${errorMessage(setupFailed)}`));
      }
      if (e.question !== undefined && ctx.onNeedsInput === "wait" && waiting === null) note(ctx, item, "loop.on_needs_input wait needs worktrees (workspace.mode worktree): the agent's question counts as a failed attempt");
      if (e.question !== undefined && ctx.onNeedsInput === "wait" && waiting !== null) return { kind: "needs_input", question: e.question, reason: e.message, context: e.context, attemptId: last.attemptId, workspace: waiting };
      return {
        kind: "failed", reason: e.message, context: e.context, keptBranch, attemptId: last.attemptId,
        ...(e.failure ? { failure: e.failure } : {}), ...(e.conflict ? { conflict: e.conflict } : {}), ...(e.checks ? { checks: e.checks } : {}),
        ...(e.question !== undefined ? { question: e.question } : {}),
      };
    }
    if (e instanceof MergeBlocked || e instanceof CommitFailed) return { kind: "fatal", error: e };
    // Anything else (git refusing, a runtime that is not installed) fails this attempt, with its message.
    const message = errorMessage(e);
    return { kind: "failed", reason: message, context: `Your previous attempt failed: ${message}`, keptBranch, attemptId: last.attemptId };
  }
}

/** The shadow of the item's lead agent, if it has one, started beside the primary. */
function startShadowOf(ctx: LoopContext, input: ItemAttemptInput, allocation: ItemAllocation, beside: Beside): void {
  const lead = allocation.steps[0]!.agent;
  const shadow = shadowFor(lead, ctx.config);
  if (!shadow) return;
  beside.shadow = startShadow(ctx, { item: input.item, attempt: input.attempt, slot: input.slot, allocation, previousFailure: input.previousFailure, answered: input.answered }, shadow);
  Object.assign(beside.primary, { agent: allocation.steps.map((s) => s.agent.name).join("+"), runtime: lead.runtime, model: lead.model ?? ctx.config.runtimes[lead.runtime]?.model ?? null, started: performance.now() });
}

function note(ctx: LoopContext, item: PlanItem, message: string): void {
  ctx.recorder.event("loop_note", { item: item.id, message });
}
