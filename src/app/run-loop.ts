// Use case: work the imported plan (`viable loop`). Open the project with the "thread" journal
// (openProject's `journal` option): the loop's event loop must never wait for the disk. Runtimes and
// the attempt pipeline live for the call; command agents are started from the spawn helpers, and
// the attempt rows are staged (each attempt's id starts with the durable run id).

import { RuntimeResolver } from "../agents/runtimes.ts";
import { AttemptPipeline } from "../engine/attempt/pipeline.ts";
import { runLoop, type LoopOptions, type LoopResult } from "../engine/loop/loop.ts";
import type { Project } from "./project.ts";

export type { LoopOptions, LoopResult };
export { LoopStopped } from "../engine/loop/loop.ts";
export type { LoopOutcome, WorkspaceMode } from "../engine/loop/loop-context.ts";

export async function runPlanLoop(project: Project, opts: LoopOptions): Promise<LoopResult> {
  const runtimes = new RuntimeResolver(project.config, { projectRoot: project.paths.root, commands: "pooled" });
  try {
    const pipeline = new AttemptPipeline({
      journal: project.store.journal, config: project.config, runtime: (name) => runtimes.get(name),
      transcriptsDir: project.paths.transcriptsDir, now: project.store.now, startRecord: "stage",
    });
    return await runLoop({ store: project.store, config: project.config, registry: project.registry(), pipeline }, { startupReaped: project.reconciliation?.reaped.length ?? 0, ...opts });
  } finally {
    await runtimes.close();
  }
}
