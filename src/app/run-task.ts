// Use case: take one task through one VSM cycle (`viable run`). Command agents are started from
// this process, and each attempt's row is committed before its process starts.

import { runCycle, type CycleOptions } from "../engine/cycle.ts";
import type { VSMCycleResult } from "../engine/cycle-result.ts";
import { withPipeline } from "./pipeline.ts";
import type { Project } from "./project.ts";

export type RunTaskOptions = CycleOptions;
export { CycleStopped } from "../engine/cycle.ts";
export type { VSMCycleResult } from "../engine/cycle-result.ts";

export async function runTask(project: Project, opts: RunTaskOptions): Promise<VSMCycleResult> {
  return withPipeline(project, { commands: "direct", startRecord: "commit" }, (pipeline) =>
    runCycle({ store: project.store, config: project.config, registry: project.registry(), pipeline }, opts));
}
