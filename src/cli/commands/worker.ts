// `viable worker`: take item attempts from the shared queues until stopped (Ctrl-C, SIGTERM) or
// the kill switch is engaged; one line per attempt taken and finished.

import { openProject } from "../../app/project.ts";
import { runWorkerCommand } from "../../app/worker.ts";
import { EXIT } from "../exit-codes.ts";
import type { Output } from "../output.ts";
import { onStopSignals } from "../stop-signals.ts";

export interface WorkerArgs {
  dir: string;
  concurrency: number;
  runtimes?: string[];
}

export async function workerCommand(args: WorkerArgs, o: Output): Promise<number> {
  const project = await openProject(args.dir, { writer: false, create: true, command: "worker", journal: "thread" });
  const controller = new AbortController();
  const offSignals = onStopSignals((_kind, message) => controller.abort(message));
  try {
    const s = await runWorkerCommand(project, {
      concurrency: args.concurrency, ...(args.runtimes ? { runtimes: args.runtimes } : {}), signal: controller.signal, onLine: (l) => o.out(l),
      onReady: (r) => o.err(`viable worker: ${r.store}, remote ${r.remote}; taking item attempts for ${r.runtimes.join(", ")} (${args.concurrency} at once); Ctrl-C stops`),
    });
    o.err(`viable worker: stopped (${s.taken} taken: ${s.passed} passed, ${s.failed} failed, ${s.stopped} stopped)`);
    return controller.signal.aborted ? EXIT.interrupted : EXIT.ok;
  } finally {
    offSignals();
    await project.close();
  }
}
