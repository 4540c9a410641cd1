// Use case: work the imported plan (`viable loop`). Open the project with the "thread" journal
// (openProject's `journal` option): the loop's event loop must never wait for the disk. Command
// agents are started from the spawn helpers, and attempt rows are staged: each attempt's id starts
// with the run's id, which is durable before any attempt starts.

import { runLoop, type LoopOptions, type LoopResult } from "../engine/loop/loop.ts";
import { UserError } from "../domain/errors.ts";
import { withPipeline } from "./pipeline.ts";
import { distributedLoop } from "./worker.ts";
import type { Project } from "./project.ts";

export type { LoopOptions, LoopResult };
export { LoopStopped } from "../engine/loop/loop.ts";
export type { LoopOutcome, WorkspaceMode } from "../engine/loop/loop-context.ts";

export async function runPlanLoop(project: Project, opts: LoopOptions): Promise<LoopResult> {
  // Items in worktrees each run in a directory of their own: no warm process could serve them.
  const worktrees = (opts.mode ?? project.config.workspace.mode) === "worktree";
  // With `loop.remote` (and a Postgres store) this loop coordinates: workers elsewhere do the work.
  const distributed = await distributedLoop(project);
  if (distributed && !worktrees) {
    await distributed.close();
    throw new UserError({
      reason: "bad_usage", file: project.paths.configFile, field: "loop.remote",
      message: "a distributed loop merges each worker's branch, but workspace mode none has no branches",
      fix: "run with --workspace worktree (the default), or leave loop.remote out to work in the project's tree here",
    });
  }
  try {
    return await withPipeline(project, { commands: "pooled", startRecord: "stage", warmPool: !worktrees, ask: opts.ask }, (pipeline) =>
      runLoop({ store: project.store, config: project.config, registry: project.registry(), pipeline, ...(distributed ? { remote: distributed.remote } : {}) }, { startupReaped: project.reconciliation?.reaped.length ?? 0, ...opts }));
  } finally {
    await distributed?.close();
  }
}
