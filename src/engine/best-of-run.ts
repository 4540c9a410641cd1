// `viable run --best-of N`: the cycle's agent step as N candidates, the same best-of-N as the
// loop's (loop/candidates.ts) — each in a worktree of its own from the branch checked out, verified
// with the project's checks, scored, or chosen by `loop.best_of.reviewer` — and the winner's change
// applied to the project's working tree, where the cycle audits it as it audits any agent's work.
// Every other candidate's work stays on a `viable-kept/run-<task>/…` branch.

import { detectTooling } from "../analysis/project-commands.ts";
import { UserError } from "../domain/errors.ts";
import { itemComplexity } from "../plan/item-complexity.ts";
import { newItem } from "../plan/plan.ts";
import { gitOk } from "../workspace/git.ts";
import { currentBranch, discardWorkspace, keepCandidateWork, uncommittedPaths } from "../workspace/worktrees.ts";
import type { AgentDefinition } from "../domain/agent.ts";
import type { AgentResult } from "./cycle-result.ts";
import type { CycleDeps } from "./cycle.ts";
import { candidatesFor, runCandidates } from "./loop/candidates.ts";
import { AttemptFailure } from "./loop/item-workspace.ts";
import type { WorkContext } from "./loop/loop-context.ts";
import { SerialQueue } from "./loop/merge-queue.ts";

/** Best-of needs a branch to start the candidates from and a clean tree to apply the winner to. */
export async function checkBestOfRun(root: string): Promise<void> {
  const branch = await currentBranch(root);
  if (branch === null) {
    throw new UserError({ reason: "bad_usage", field: "--best-of", message: "HEAD is detached: candidates start from a branch", fix: "check out a branch (git switch <branch>), then run again" });
  }
  const dirty = await uncommittedPaths(root, []);
  if (dirty.length > 0) {
    throw new UserError({
      reason: "bad_usage", field: "--best-of", message: `the working tree has uncommitted changes (${dirty.slice(0, 5).join(", ")}${dirty.length > 5 ? ", ..." : ""}); the candidates would not see them and the winner's change could not be applied over them`,
      fix: "commit or stash them (git stash), then run again",
    });
  }
}

/** What working a `viable run` task in worktrees needs: the loop's parts, for one task. */
export async function runWorkContext(deps: CycleDeps, taskId: string, branch: string | null, signal: AbortSignal): Promise<WorkContext> {
  const { store, config } = deps;
  return {
    paths: store.paths, config, registry: deps.registry, pipeline: deps.pipeline, adminQueue: new SerialQueue(), integration: branch, runId: taskId, signal,
    projectVerify: config.verify ?? [(await detectTooling(store.paths.root)).commands.test].filter((c): c is string => typeof c === "string"),
    recorder: { event: (type, data) => store.journal.stage({ event: { event_type: type, task_id: taskId, data } }) },
  };
}

export interface BestOfStep {
  task: string;
  taskId: string;
  agent: AgentDefinition;
  role: string;
  focus: string;
  n: number;
  iteration: number;
  auditFeedback?: string | undefined;
  signal: AbortSignal;
}

export async function runBestOf(deps: CycleDeps, s: BestOfStep): Promise<AgentResult> {
  const { store, config } = deps;
  const root = store.paths.root;
  const branch = await currentBranch(root, { signal: s.signal });
  const started = performance.now();
  const ctx = await runWorkContext(deps, s.taskId, branch, s.signal);
  const item = newItem({ id: `run-${s.taskId}`, name: s.task.split("\n")[0]!.slice(0, 120), description: s.task });
  // `--best-of N`: the first N of the configured candidates when there are some, else N of the agent.
  const configured = config.loop.best_of.candidates.slice(0, s.n);
  const candidates = candidatesFor(configured.length > 1 ? { ...item, candidates: configured } : { ...item, best_of: s.n }, config) ?? [];
  const allocation = { complexity: itemComplexity(item), steps: [{ agent: s.agent, role: s.role, focus: s.focus }], rationale: `viable run --best-of ${s.n}` };
  const base = { agent: s.agent.name, metadata: { best_of: candidates.length, iteration: s.iteration, runtime: s.agent.runtime, duration_ms: 0 } };
  try {
    const won = await runCandidates(ctx, { item, attempt: s.iteration, slot: 0, allocation, candidates, previousFailure: s.auditFeedback });
    // The winner's change onto the project's tree, uncommitted, as an agent of a run leaves it.
    try {
      const patch = await gitOk(won.workspace.dir, ["diff", "--binary", "--no-color", "--no-ext-diff", won.workspace.base, "HEAD"], { signal: s.signal });
      if (patch !== "") await gitOk(root, ["apply", "--binary", "--whitespace=nowarn"], { input: patch, signal: s.signal });
    } catch (e) {
      // Not applied (the tree changed meanwhile, a stop): the winner's work is kept, not lost.
      const kept = await keepCandidateWork(root, won.workspace, won.workspace.base, item.id, `winner-${won.workspaceId.replace(/^.*@/, "")}`).catch(() => null);
      throw new AttemptFailure(`the chosen candidate's change could not be applied to the working tree (${e instanceof Error ? e.message : String(e)})${kept ? `; it is kept on ${kept}` : ""}`);
    }
    await ctx.adminQueue.run(() => discardWorkspace(root, won.workspace));
    const chosen = won.workspaceId.replace(/^.*@candidate-/, "");
    return { ...base, success: true, output: `candidate ${chosen} of ${candidates.length} chosen; its change is applied (see \`viable log --task ${s.taskId}\`)`, error: null, metadata: { ...base.metadata, duration_ms: Math.round(performance.now() - started), attempt_id: won.attemptId } };
  } catch (e) {
    if (!(e instanceof AttemptFailure)) throw e;
    return { ...base, success: false, output: e.message, error: e.message, metadata: { ...base.metadata, duration_ms: Math.round(performance.now() - started) } };
  }
}
