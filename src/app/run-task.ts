// Use case: take one task through one VSM cycle (`viable run`). The project's runtimes and the
// attempt pipeline live for the call and are closed at its end, warm processes included.

import { RuntimeResolver } from "../agents/runtimes.ts";
import { AttemptPipeline } from "../engine/attempt/pipeline.ts";
import { runCycle, type CycleOptions } from "../engine/cycle.ts";
import type { VSMCycleResult } from "../engine/cycle-result.ts";
import type { Project } from "./project.ts";

export type RunTaskOptions = CycleOptions;
export { CycleStopped } from "../engine/cycle.ts";
export type { VSMCycleResult } from "../engine/cycle-result.ts";

export async function runTask(project: Project, opts: RunTaskOptions): Promise<VSMCycleResult> {
  const runtimes = new RuntimeResolver(project.config, { projectRoot: project.paths.root, commands: "direct" });
  try {
    const pipeline = new AttemptPipeline({
      journal: project.store.journal, config: project.config, runtime: (name) => runtimes.get(name),
      transcriptsDir: project.paths.transcriptsDir, now: project.store.now, startRecord: "commit",
    });
    return await runCycle({ store: project.store, config: project.config, registry: project.registry(), pipeline }, opts);
  } finally {
    await runtimes.close();
  }
}
