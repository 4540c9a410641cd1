// A shadow beside `viable run` (loop/shadow.ts is the loop's): for a task one agent works, its
// shadow works the same task in a worktree of its own from the branch checked out, verified with
// the project's checks and never applied; at the end of the cycle both sides are recorded as a
// pair (item `run-<task>`) for `viable shadow report`. The primary is measured on the project's
// tree: its audit, its agents' cost and tokens, the change it left against HEAD. A tree the shadow
// could not start from (uncommitted changes, a detached HEAD) runs without it, and says why.

import type { AgentDefinition } from "../domain/agent.ts";
import { newItem, type PlanItem } from "../plan/plan.ts";
import { workingDiff } from "../workspace/git.ts";
import { currentBranch, uncommittedPaths } from "../workspace/worktrees.ts";
import { runWorkContext } from "./best-of-run.ts";
import type { AgentResult } from "./cycle-result.ts";
import type { CycleDeps } from "./cycle.ts";
import { itemComplexity } from "../plan/item-complexity.ts";
import { finishShadow, shadowFor, ShadowControl, startShadow, type PrimaryMeasure, type RunningShadow } from "./loop/shadow.ts";
import type { WorkContext } from "./loop/loop-context.ts";

export interface RunShadow {
  ctx: WorkContext;
  control: ShadowControl;
  running: RunningShadow;
  item: PlanItem;
  agent: AgentDefinition;
  started: number;
}

/** Starts the agent's shadow for a one-agent task, when there is one and the tree allows it. */
export async function startRunShadow(deps: CycleDeps, o: { task: string; taskId: string; agent: AgentDefinition; signal: AbortSignal; note: (why: string) => void }): Promise<RunShadow | null> {
  const shadow = shadowFor(o.agent, deps.config);
  if (shadow === null) return null;
  const root = deps.store.paths.root;
  if (await deps.store.queries.shadowSwitch()) return null;
  const branch = await currentBranch(root, { signal: o.signal });
  const dirty = branch === null ? [] : await uncommittedPaths(root, [], { signal: o.signal });
  if (branch === null || dirty.length > 0) {
    o.note(`no shadow for this task: ${branch === null ? "HEAD is detached" : `uncommitted changes (${dirty.slice(0, 3).join(", ")})`}; the shadow starts from a commit of the branch checked out`);
    return null;
  }
  const ctx = await runWorkContext(deps, o.taskId, branch, o.signal);
  const control = new ShadowControl();
  const item = newItem({ id: `run-${o.taskId}`, name: o.task.split("\n")[0]!.slice(0, 120), description: o.task });
  const allocation = { complexity: itemComplexity(item), steps: [{ agent: o.agent, role: "primary", focus: o.task }], rationale: "shadow of viable run" };
  const running = startShadow({ ...ctx, shadows: control }, { item, attempt: 1, slot: 0, allocation }, shadow);
  return running ? { ctx, control, running, item, agent: o.agent, started: performance.now() } : null;
}

/** Records the pair once the cycle is done: `passed` is the task's audit; a failed run stops the shadow first. */
export async function finishRunShadow(deps: CycleDeps, s: RunShadow, o: { passed: boolean; reason: string | null; results: readonly AgentResult[]; stop?: string }): Promise<void> {
  if (o.stop !== undefined) s.control.turnOff(o.stop);
  const mine = o.results.filter((r) => r.agent === s.agent.name);
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  const usage = (r: AgentResult) => r.metadata.usage as { inputTokens?: number; outputTokens?: number } | undefined;
  const diff = await workingDiff(deps.store.paths.root).catch(() => "");
  const primary: PrimaryMeasure = {
    agent: s.agent.name, runtime: s.agent.runtime, model: s.agent.model ?? deps.config.runtimes[s.agent.runtime]?.model ?? null,
    passed: o.passed, reason: o.reason, files: filesIn(diff), diff_lines: linesIn(diff),
    tally: { usd: mine.reduce((t, r) => t + num(r.metadata.cost_usd), 0), tokens: mine.reduce((t, r) => t + num(usage(r)?.inputTokens) + num(usage(r)?.outputTokens), 0) },
    started: s.started, ended: performance.now(),
  };
  await finishShadow(s.ctx, { item: s.item, attempt: 1 }, s.running, primary);
}

function filesIn(diff: string): string[] {
  return [...diff.matchAll(/^diff --git a\/(.+?) b\//gm)].map((m) => m[1]!);
}

function linesIn(diff: string): number {
  return diff.split("\n").filter((l) => (l.startsWith("+") && !l.startsWith("+++")) || (l.startsWith("-") && !l.startsWith("---"))).length;
}
