// Best-of-N on one item: the candidates run in parallel, each in its own worktree from the same
// base, each through the same agents, pipeline and budgets as a single attempt. The harness
// evaluates, not the agents: a candidate that fails verification is out; the rest are scored
// (`loop.best_of.score`: scoring checks passed, diff size, files, files outside the item's scope)
// and, with `loop.best_of.reviewer`, an agent reads the finalists' diffs and chooses with reasons.
// `first_pass` merges the first that passes and stops the others. The item's budget covers all of
// them: with a dollar or token limit, further candidates wait for the first to finish (to measure
// what one costs) and start only while what is left covers one more. The winner's worktree goes
// to the merge queue; every other candidate's work is kept on a branch of its own.

import fs from "node:fs";
import path from "node:path";
import { pathsInTask } from "../../analysis/task-paths.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { Candidate, CandidateResult } from "../../domain/candidates.ts";
import { errorMessage } from "../../domain/errors.ts";
import type { OutcomeFailure } from "../../domain/outcome.ts";
import type { PlanItem } from "../../plan/plan.ts";
import { gitOk } from "../../workspace/git.ts";
import { branchExists, discardWorkspace, itemBranch, itemWorktreeDir, keepCandidateWork } from "../../workspace/worktrees.ts";
import { runAgents } from "./item-agents.ts";
import type { ItemAllocation } from "./item-allocation.ts";
import { chooseByReview } from "./candidate-review.ts";
import { AttemptFailure, checkIntegrity, commitWork, prepareWorkspace, recordedChecks, runSetup, type ItemWorkspace, type RecordedCheck } from "./item-workspace.ts";
import type { WorkContext } from "./loop-context.ts";
import { itemEnv, label } from "./item-env.ts";
import { verifyCommands } from "./item-verify.ts";

/** The item's candidates (item over config), or null when it has one way only. */
export function candidatesFor(item: PlanItem, config: ViableConfig): Candidate[] | null {
  const best = config.loop.best_of;
  const list = item.candidates ?? (item.best_of !== undefined ? repeat(item.best_of) : best.candidates.length > 0 ? best.candidates : repeat(best.n));
  return list.length > 1 ? list : null;
}

function repeat(n: number): Candidate[] {
  return Array.from({ length: n }, () => ({}));
}

export interface CandidatesInput {
  item: PlanItem;
  attempt: number;
  slot: number;
  allocation: ItemAllocation;
  candidates: Candidate[];
  previousFailure?: string | undefined;
  answered?: { question: string; answer: string | null } | undefined;
}

/** The winner, ready for the merge queue: its worktree (of its own id), its checks, its last agent attempt. */
export interface CandidatesEnd {
  workspace: ItemWorkspace;
  workspaceId: string;
  checks: RecordedCheck[];
  attemptId: string | null;
}

export interface Run {
  result: CandidateResult;
  /** Its agents' typed failure, when they failed for a reason policies act on. */
  failure?: OutcomeFailure | undefined;
  workspace: ItemWorkspace | null;
  workspaceId: string;
  checks: RecordedCheck[];
  feedback: string;
  diff: string;
  attemptId: string | null;
}

export async function runCandidates(ctx: WorkContext, input: CandidatesInput): Promise<CandidatesEnd> {
  const { item, attempt, candidates } = input;
  const best = ctx.config.loop.best_of;
  const key = { taskId: ctx.runId, itemId: item.id };
  // Every agent named is resolved before anything starts: a typo fails the attempt, not half of it.
  const reviewer = best.reviewer !== undefined ? agentOrFailure(ctx, best.reviewer, "loop.best_of.reviewer") : undefined;
  for (const c of candidates) if (c.agent !== undefined) agentOrFailure(ctx, c.agent, "a candidate's agent");
  const controllers = candidates.map(() => new AbortController());
  const onStop = () => controllers.forEach((c) => c.abort(ctx.signal.reason));
  ctx.signal.addEventListener("abort", onStop, { once: true });
  const runs: (Run | null)[] = candidates.map(() => null);
  const running = new Map<number, Promise<void>>();
  let firstPass: number | null = null;
  try {
    for (let k = 0; k < candidates.length; k++) {
      for (;;) {
        const gate = startGate(ctx, key, runs, running.size, firstPass);
        if (gate.kind === "wait") {
          await Promise.race(running.values());
          continue;
        }
        if (gate.kind === "skip") {
          for (let j = k; j < candidates.length; j++) runs[j] = skipped(ctx, input, j, gate.reason);
          k = candidates.length;
        }
        break;
      }
      if (k >= candidates.length) break;
      const index = k;
      const p = runCandidate(ctx, input, { candidate: candidates[index]!, number: index + 1, workspaceId: `${item.id}@candidate-${index + 1}`, slot: ctx.config.loop.concurrency + input.slot * 16 + index }, controllers[index]!.signal).then((run) => {
        runs[index] = run;
        ctx.recorder.event("item_candidate_finished", { item: item.id, attempt, ...run.result });
        if (best.policy === "first_pass" && run.result.passed && firstPass === null) {
          firstPass = index;
          controllers.forEach((c, j) => j !== index && c.abort(`candidate ${index + 1} passed first (first_pass)`));
        }
      }).finally(() => running.delete(index));
      running.set(index, p);
    }
    await Promise.all(running.values());
  } finally {
    // Whatever ended this early, no candidate goes on unwatched.
    if (running.size > 0) {
      controllers.forEach((c) => c.abort("the best-of attempt ended"));
      await Promise.allSettled(running.values());
    }
    ctx.signal.removeEventListener("abort", onStop);
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;

  const all = runs.map((r, j) => r ?? skipped(ctx, input, j, "did not start"));
  const finalists = all.filter((r) => r.result.passed && r.workspace !== null);
  for (const r of finalists) r.result.score = score(r.result, ctx.config);
  finalists.sort((a, b) => (b.result.score ?? 0) - (a.result.score ?? 0) || a.result.cost_usd - b.result.cost_usd || a.result.candidate - b.result.candidate);
  let winner: Run | undefined = firstPass !== null ? all[firstPass] : finalists[0];
  let by: "score" | "reviewer" | "first_pass" = firstPass !== null ? "first_pass" : "score";
  let reasons = winner ? reasonOf(winner, finalists, by) : "";
  if (winner && firstPass === null && best.reviewer !== undefined && finalists.length > 1) {
    const review = await chooseByReview(ctx, {
      item, reviewer: reviewer!, signal: ctx.signal,
      finalists: finalists.map((f) => ({ candidate: f.result.candidate, label: `${f.result.agent} on ${f.result.runtime}${f.result.model ? ` (${f.result.model})` : ""}`, score: f.result.score ?? 0, diff: f.diff })),
    });
    if (review.ok) {
      winner = finalists.find((f) => f.result.candidate === review.choice)!;
      by = "reviewer";
      reasons = review.reasons;
    } else {
      reasons = `${reasons} (the reviewer ${best.reviewer} gave no valid choice: ${review.problem})`;
    }
  }
  // Everyone's work but the winner's is kept on a branch of its own, and their worktrees go.
  for (const r of all) {
    if (r === winner || r.workspace === null) continue;
    const ws = r.workspace;
    r.result.branch = await ctx.adminQueue.run(() => keepCandidateWork(ctx.paths.root, ws, ctx.integration!, item.id, `attempt-${attempt}-candidate-${r.result.candidate}`, { signal: ctx.signal }))
      .catch((e: unknown) => `(not kept: ${errorMessage(e)})`);
  }
  if (winner) winner.result.branch = winner.workspace!.branch;
  ctx.recorder.event("item_candidates_evaluated", { item: item.id, attempt, policy: best.policy, winner: winner?.result.candidate ?? null, by: winner ? by : null, reasons, results: all.map((r) => r.result) });
  if (!winner) {
    const why = all.map((r) => `candidate ${r.result.candidate} (${r.result.agent} on ${r.result.runtime}): ${r.result.skipped ?? r.result.reason ?? "failed"}`).join("; ");
    const failed = all.find((r) => r.feedback !== "");
    // When every candidate that ran failed for the same setup or budget reason, the item's policy
    // acts on it as on a single attempt's (a spent task budget stops the loop, ...).
    const ran = all.filter((r) => r.result.skipped === null);
    const kinds = new Set(ran.map((r) => r.failure?.kind));
    const common = kinds.size === 1 && ran[0]?.failure ? ran[0].failure : undefined;
    throw new AttemptFailure(`no candidate passed: ${why}`, failed?.feedback ?? `No candidate passed: ${why}`, common, undefined, failed?.checks);
  }
  return { workspace: winner.workspace!, workspaceId: winner.workspaceId, checks: winner.checks, attemptId: winner.attemptId };
}

type Gate = { kind: "start" } | { kind: "wait" } | { kind: "skip"; reason: string };

/** Whether the next candidate may start: first_pass not yet won, and the item's budget covering one more. */
function startGate(ctx: WorkContext, key: { taskId: string; itemId: string }, runs: readonly (Run | null)[], runningNow: number, firstPass: number | null): Gate {
  if (firstPass !== null) return { kind: "skip", reason: `candidate ${firstPass + 1} passed first (first_pass)` };
  const limit = ctx.config.budgets.item;
  if (limit?.usd === undefined && limit?.tokens === undefined) return { kind: "start" };
  // Measured on candidates that spent something (one that failed at its setup tells nothing).
  const done = runs.filter((r): r is Run => r !== null && r.result.skipped === null && (r.result.cost_usd > 0 || r.result.tokens > 0));
  if (done.length === 0) return runningNow === 0 ? { kind: "start" } : { kind: "wait" };
  const spent = ctx.pipeline.budget.spent(key);
  const each = { usd: Math.max(...done.map((r) => r.result.cost_usd)), tokens: Math.max(...done.map((r) => r.result.tokens)) };
  // What the ones still running will spend is not known yet: count each as one more.
  const coming = runningNow;
  if (limit.usd !== undefined && spent.usd + each.usd * (coming + 1) > limit.usd) {
    return { kind: "skip", reason: `the item's budget cannot cover another candidate: $${spent.usd.toFixed(4)} spent of $${limit.usd}, about $${each.usd.toFixed(4)} each` };
  }
  if (limit.tokens !== undefined && spent.tokens + each.tokens * (coming + 1) > limit.tokens) {
    return { kind: "skip", reason: `the item's budget cannot cover another candidate: ${spent.tokens} tokens spent of ${limit.tokens}, about ${each.tokens} each` };
  }
  return { kind: "start" };
}

/** One way to do the item in a worktree of its own: a candidate's number (0: a shadow), and the slot for its ports. */
export interface OwnWorktree {
  candidate: Candidate;
  number: number;
  workspaceId: string;
  slot: number;
  /** False for shadows: at a usage limit they stop rather than wait for the reset. */
  waitForReset?: boolean;
}

/** The candidate's (or shadow's) agents in its own worktree, committed, measured and verified; never merged here. */
export async function runCandidate(ctx: WorkContext, input: Omit<CandidatesInput, "candidates">, own: OwnWorktree, signal: AbortSignal): Promise<Run> {
  const { item, attempt } = input;
  const { candidate, workspaceId } = own;
  const tag = own.number === 0 ? "shadow" : `c${own.number}`;
  const allocation = candidateAllocation(input.allocation, candidate, item, ctx);
  const lead = allocation.steps[0]!.agent;
  const started = performance.now();
  const result: CandidateResult = {
    candidate: own.number, agent: allocation.steps.map((s) => s.agent.name).join("+"), runtime: lead.runtime, model: lead.model ?? ctx.config.runtimes[lead.runtime]?.model ?? null,
    skipped: null, stopped: false, passed: false, reason: null, checks_passed: 0, checks_total: ctx.config.loop.best_of.checks.length, files: [], diff_lines: 0, outside_scope: [], score: null,
    cost_usd: 0, tokens: 0, duration_s: 0, branch: null,
  };
  const run: Run = { result, workspace: null, workspaceId, checks: [], feedback: "", diff: "", attemptId: null };
  const last = { attemptId: null as string | null };
  const tally = { usd: 0, tokens: 0 };
  try {
    const keptLabel = attempt > 1 ? `attempt-${attempt - 1}` : "interrupted";
    // What an earlier, interrupted run of this candidate left: kept under the item's name (a
    // shadow's dropped), so the kept branches read viable-kept/<item>/… like every other.
    const leftover = { dir: itemWorktreeDir(ctx.paths, workspaceId), branch: itemBranch(workspaceId) };
    if (fs.existsSync(leftover.dir) || await branchExists(ctx.paths.root, leftover.branch, { signal })) {
      await ctx.adminQueue.run(() => own.number === 0
        ? discardWorkspace(ctx.paths.root, leftover, { signal })
        : keepCandidateWork(ctx.paths.root, leftover, ctx.integration!, item.id, `${keptLabel}-candidate-${own.number}`, { signal }).then(() => undefined));
    }
    const prepared = await ctx.adminQueue.run(() => prepareWorkspace(ctx.paths, workspaceId, ctx.integration!, keptLabel, signal));
    const ws = prepared.workspace;
    run.workspace = ws;
    // Slots past the loop's own, so candidates in parallel do not share ports.
    const env = { ...itemEnv(ctx, item, own.slot, ws), VIABLE_CANDIDATE: String(own.number) };
    await runSetup(ctx.config, ctx.paths, ws, env, `${label(ctx, item, attempt)}-${tag}`, signal, ctx.pipeline.processes);
    await runAgents(ctx, { item, attempt, allocation, cwd: ws.dir, env, previousFailure: input.previousFailure, keptBranch: prepared.kept.keptBranch, last, answered: input.answered, signal, tally, waitForReset: own.waitForReset ?? true });
    const head = await commitWork(ws, await checkIntegrity(ws, signal), item.id, attempt, signal);
    const stats = await diffStats(ws.dir, ws.base, head, signal);
    result.files = stats.files;
    result.diff_lines = stats.lines;
    run.diff = stats.diff;
    const scope = pathsInTask([item.name, item.description, ...item.tests].join("\n"));
    result.outside_scope = scope.length === 0 ? [] : stats.files.filter((f) => !inScope(f, scope));
    const verify = await verifyCommands(ctx, { commands: [...item.verify, ...ctx.projectVerify], cwd: ws.dir, env, label: `${label(ctx, item, attempt)}-${tag}`, signal });
    run.checks = recordedChecks(verify.checks);
    if (!verify.passed) {
      result.reason = `verification failed: ${verify.findings.join("; ")}`;
      run.feedback = `Your previous attempt failed verification:\n${verify.feedback}`;
    } else {
      result.passed = true;
      if (ctx.config.loop.best_of.checks.length > 0) {
        const scoring = await verifyCommands(ctx, { commands: ctx.config.loop.best_of.checks, cwd: ws.dir, env, label: `${label(ctx, item, attempt)}-${tag}-score`, signal });
        result.checks_passed = scoring.checks.filter((c) => c.passed).length;
      }
    }
  } catch (e) {
    result.reason = signal.aborted ? String(signal.reason) : e instanceof AttemptFailure ? e.message : errorMessage(e);
    if (e instanceof AttemptFailure) {
      run.feedback = e.context;
      run.failure = e.failure;
    }
    result.stopped = signal.aborted || e instanceof AttemptFailure && e.failure?.kind === "usage_limit";
  }
  run.attemptId = last.attemptId;
  result.cost_usd = round(tally.usd, 6);
  result.tokens = tally.tokens;
  result.duration_s = round((performance.now() - started) / 1000, 2);
  return run;
}

function skipped(ctx: WorkContext, input: CandidatesInput, index: number, reason: string): Run {
  const allocation = candidateAllocation(input.allocation, input.candidates[index]!, input.item, ctx);
  const lead = allocation.steps[0]!.agent;
  return {
    result: {
      candidate: index + 1, agent: allocation.steps.map((s) => s.agent.name).join("+"), runtime: lead.runtime, model: lead.model ?? ctx.config.runtimes[lead.runtime]?.model ?? null,
      skipped: reason, stopped: false, passed: false, reason: null, checks_passed: 0, checks_total: 0, files: [], diff_lines: 0, outside_scope: [], score: null, cost_usd: 0, tokens: 0, duration_s: 0, branch: null,
    },
    workspace: null, workspaceId: "", checks: [], feedback: "", diff: "", attemptId: null,
  };
}

function agentOrFailure(ctx: WorkContext, name: string, what: string): AgentDefinition {
  if (!ctx.registry.has(name)) {
    throw new AttemptFailure(`${what} names the agent "${name}", which the project does not have (its agents: ${ctx.registry.names().join(", ")}); fix .viable/config.json or the plan`);
  }
  return ctx.registry.require(name);
}

/** The candidate's agents: the item's, or the one it names; its runtime and model over theirs. */
export function candidateAllocation(base: ItemAllocation, c: Candidate, item: PlanItem, ctx: WorkContext): ItemAllocation {
  const steps = c.agent !== undefined ? [{ agent: ctx.registry.require(c.agent), role: "primary", focus: `Implement ${item.name}.` }] : base.steps;
  if (c.runtime === undefined && c.model === undefined) return { ...base, steps };
  return { ...base, steps: steps.map((s) => ({ ...s, agent: onRuntime(s.agent, c) })) };
}

function onRuntime(agent: AgentDefinition, c: Candidate): AgentDefinition {
  const { model: _model, fallback: _fallback, ...rest } = agent;
  const runtime = c.runtime ?? agent.runtime;
  // Another CLI does not take this one's model names: its configured default, unless one is given.
  const model = c.model ?? (runtime === agent.runtime ? agent.model : undefined);
  // A candidate is a chosen runtime: it does not fall back to another one.
  return { ...rest, runtime, ...(model !== undefined ? { model } : {}), ...(c.runtime === undefined && agent.fallback ? { fallback: agent.fallback } : {}) };
}

function score(r: CandidateResult, config: ViableConfig): number {
  const w = config.loop.best_of.score;
  return round(w.checks * r.checks_passed + w.diff_lines * r.diff_lines + w.files * r.files.length + w.outside_scope * r.outside_scope.length, 4);
}

function reasonOf(winner: Run, finalists: readonly Run[], by: "score" | "reviewer" | "first_pass"): string {
  const r = winner.result;
  if (by === "first_pass") return `candidate ${r.candidate} passed verification first (first_pass)`;
  const others = finalists.filter((f) => f !== winner).map((f) => `${f.result.candidate}: ${f.result.score}`);
  return `candidate ${r.candidate} has the best score, ${r.score} (${r.checks_passed}/${r.checks_total} scoring checks, ${r.diff_lines} lines in ${r.files.length} files, ${r.outside_scope.length} outside the item's scope)${others.length ? `; the others: ${others.join(", ")}` : "; no other candidate passed"}`;
}

export async function diffStats(dir: string, base: string, head: string, signal: AbortSignal): Promise<{ files: string[]; lines: number; diff: string }> {
  const numstat = await gitOk(dir, ["diff", "--numstat", "--no-renames", base, head], { signal });
  let lines = 0;
  const files: string[] = [];
  for (const row of numstat.split("\n")) {
    const [added, removed, file] = row.split("\t");
    if (file === undefined) continue;
    files.push(file);
    // Binary files count as one line each way.
    lines += (Number(added) || 1) + (Number(removed) || 0);
  }
  const diff = await gitOk(dir, ["diff", "--no-color", "--no-ext-diff", base, head], { signal });
  return { files, lines, diff };
}

/** A file is in scope when the item names it, a directory holding it, or a file beside it. */
function inScope(file: string, scope: readonly string[]): boolean {
  return scope.some((p) => file === p || file.startsWith(`${p.replace(/\/$/, "")}/`) || path.posix.dirname(file) === path.posix.dirname(p));
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
