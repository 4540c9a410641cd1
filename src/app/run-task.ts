// Use case: take one task through one VSM cycle (`viable run`). Command agents are started from
// this process, and each attempt's row is committed before its process starts.

import { checkBestOfRun } from "../engine/best-of-run.ts";
import { runCycle, type CycleOptions } from "../engine/cycle.ts";
import type { VSMCycleResult } from "../engine/cycle-result.ts";
import { withPipeline } from "./pipeline.ts";
import type { Project } from "./project.ts";

export type RunTaskOptions = CycleOptions;
export { CycleStopped } from "../engine/cycle.ts";
export type { VSMCycleResult } from "../engine/cycle-result.ts";

export async function runTask(project: Project, opts: RunTaskOptions): Promise<VSMCycleResult> {
  // Checked before anything is recorded: a tree best-of cannot work from is a usage error.
  if (opts.bestOf !== undefined && opts.bestOf > 1) await checkBestOfRun(project.paths.root);
  // A commit that fails (a full disk) stops the cycle: nothing more may run unrecorded.
  const { journal } = project.store;
  const failed = new AbortController();
  const previous = journal.onFailure;
  journal.onFailure = (e) => failed.abort(e);
  try {
    return await withPipeline(project, { commands: "direct", startRecord: "commit", ask: opts.interactive ? opts.ask : undefined }, (pipeline) =>
      runCycle({ store: project.store, config: project.config, registry: project.registry(), pipeline }, { ...opts, signal: AbortSignal.any([opts.signal, failed.signal]) }));
  } finally {
    journal.onFailure = previous;
  }
}
