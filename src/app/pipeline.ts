// What a use case that runs agents needs for its duration: the project's runtimes and one attempt
// pipeline over them. The runtimes are closed when `fn` ends, whatever happens: warm processes,
// spawn helpers and the sweep of command agents' leftovers never outlive the call.

import { RuntimeResolver, type RuntimeResolverOptions } from "../agents/runtimes.ts";
import { AttemptPipeline, type PipelineOptions } from "../engine/attempt/pipeline.ts";
import type { YesNoPrompt } from "../domain/permissions.ts";
import type { Project } from "./project.ts";

export async function withPipeline<T>(
  project: Project,
  how: { commands: NonNullable<RuntimeResolverOptions["commands"]>; startRecord: NonNullable<PipelineOptions["startRecord"]>; warmPool?: boolean; ask?: YesNoPrompt | undefined },
  fn: (pipeline: AttemptPipeline) => Promise<T>,
): Promise<T> {
  const runtimes = new RuntimeResolver(project.config, { projectRoot: project.paths.root, commands: how.commands, ...(how.warmPool === false ? { warmPool: false } : {}) });
  try {
    return await fn(new AttemptPipeline({
      journal: project.store.journal, config: project.config, runtime: (name) => runtimes.get(name),
      transcriptsDir: project.paths.transcriptsDir, now: project.store.now, startRecord: how.startRecord, processes: runtimes.processes, store: project.store,
      ...(how.ask ? { ask: how.ask } : {}),
    }));
  } finally {
    await runtimes.close();
  }
}
