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
    o.err(`viable worker: ${project.store.where}; taking item attempts (${args.concurrency} at once)${args.runtimes ? ` for ${args.runtimes.join(", ")}` : ""}; Ctrl-C stops`);
    const s = await runWorkerCommand(project, { concurrency: args.concurrency, ...(args.runtimes ? { runtimes: args.runtimes } : {}), signal: controller.signal, onLine: (l) => o.out(l) });
    o.err(`viable worker: stopped (${s.taken} taken: ${s.passed} passed, ${s.failed} failed, ${s.stopped} stopped)`);
    return controller.signal.aborted ? EXIT.interrupted : EXIT.ok;
  } finally {
    offSignals();
    await project.close();
  }
}
