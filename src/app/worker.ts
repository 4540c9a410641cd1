// Use cases of a distributed loop: `viable worker` on each machine, and the coordinator's half of
// `viable loop` when the project's store is Postgres and `loop.remote` names the git remote.

import { UserError } from "../domain/errors.ts";
import { storeUrl } from "../config/config.ts";
import { openBoss, type Boss } from "../swarm/boss.ts";
import { coordinator } from "../swarm/coordinator.ts";
import { runWorker, type WorkerSummary } from "../swarm/worker.ts";
import { workerTaskOf } from "../swarm/jobs.ts";
import type { RemoteRun } from "../engine/loop/loop.ts";
import type { RemoteWork } from "../engine/loop/loop-context.ts";
import { git } from "../workspace/git.ts";
import { reconcile } from "../engine/reconcile.ts";
import { readProcessTable, type ProcessInfo } from "../process/process-tree.ts";
import { stopProcesses } from "../process/stop-processes.ts";
import { withPipeline } from "./pipeline.ts";
import type { Project } from "./project.ts";

export interface WorkerCommandOptions {
  concurrency: number;
  /** The runtimes whose queues this machine serves; default: every runtime the project's agents use. */
  runtimes?: string[];
  signal: AbortSignal;
  onLine: (line: string) => void;
  /** Its checks passed and it is taking attempts: which store, remote and runtimes. */
  onReady: (ready: { store: string; remote: string; runtimes: string[] }) => void;
}

/** The remote workers clone and push to: `loop.remote`, else the clone's `origin`. */
export function remoteOf(project: Project): string {
  return project.config.loop.remote ?? "origin";
}

function needsPostgres(project: Project, command: string): string {
  const url = storeUrl(project.config);
  if (project.store.kind !== "postgres" || !url) {
    throw new UserError({
      reason: "bad_config", file: project.paths.configFile, field: "store.url",
      message: `\`viable ${command}\` works from a store every machine shares, but this project keeps its records in the local file ${project.store.where}`,
      fix: "set store.url to a Postgres URL (or VIABLE_DATABASE_URL) on every machine; see README, \"Running on several machines\"",
    });
  }
  return url;
}

export async function runWorkerCommand(project: Project, opts: WorkerCommandOptions): Promise<WorkerSummary> {
  const url = needsPostgres(project, "worker");
  const remote = remoteOf(project);
  const reach = await git(project.paths.root, ["ls-remote", "--heads", remote]);
  if (reach.code !== 0) {
    throw new UserError({
      reason: "bad_config", file: project.paths.configFile, field: "loop.remote",
      message: `the git remote ${remote} cannot be reached: ${reach.stderr.trim() || `git exited ${reach.code}`}`,
      fix: "set loop.remote to the coordinator's remote (a bare repository's path, or an SSH/HTTPS URL), or clone the project from it (its origin is used)",
    });
  }
  // What a worker that died on this machine left: its records closed, its agents' processes reaped.
  // (Opening did it already when no coordinator held the store.)
  const own = await reconcile(project.store, project.config.defaults.kill_grace_ms);
  const closed = own.interruptedTasks.length + (project.reconciliation?.interruptedTasks.length ?? 0);
  const reaped = own.reaped.length + (project.reconciliation?.reaped.length ?? 0) + (await reapDeadWorkers(project));
  if (closed > 0 || reaped > 0) opts.onLine(`reconciled what a stopped worker left: ${closed} task(s) closed, ${reaped} process(es) stopped`);
  const registry = project.registry();
  const runtimes = opts.runtimes ?? [...new Set(registry.all().map((a) => a.runtime))];
  const boss = await openBoss(url, { name: "viable worker", supervise: false, worker: true });
  opts.onReady({ store: project.store.where, remote, runtimes });
  // A worker outlives many runs: budgets.run is the coordinator's to hold (across every worker);
  // the attempt, item and task budgets hold here as locally.
  const { run: _run, ...budgets } = project.config.budgets;
  const config = { ...project.config, budgets };
  try {
    return await withPipeline({ ...project, config }, { commands: "pooled", startRecord: "stage", warmPool: false }, (pipeline) =>
      runWorker({ store: project.store, config, registry, pipeline, boss, remote, runtimes, concurrency: opts.concurrency, signal: opts.signal, onLine: opts.onLine }));
  } finally {
    await boss.stop().catch(() => undefined);
  }
}

/**
 * Agents a worker that died on this machine left running, whoever closed its records meanwhile (a
 * coordinator or a worker elsewhere can close them, but only this machine can stop its processes):
 * every process carrying a worker attempt's marker whose session is gone.
 */
async function reapDeadWorkers(project: Project): Promise<number> {
  const byTask = new Map<string, ProcessInfo[]>();
  for (const p of readProcessTable()) {
    const task = p.marker ? workerTaskOf(p.marker) : null;
    if (task) byTask.set(task, [...(byTask.get(task) ?? []), p]);
  }
  const orphans: ProcessInfo[] = [];
  for (const [taskId, processes] of byTask) {
    // Only this store's workers: another project's worker on this machine is none of ours.
    const task = await project.store.queries.task(taskId);
    if (task !== null && !(await project.store.isSessionAlive(task.session_id))) orphans.push(...processes);
  }
  if (orphans.length > 0) await stopProcesses(orphans, project.config.defaults.kill_grace_ms);
  return orphans.length;
}

/**
 * The coordinator's half, when the project is distributed: the job engine, open for the loop's
 * run, and how the loop hands attempts to workers. Null for a local loop.
 */
export async function distributedLoop(project: Project): Promise<{ remote: (run: RemoteRun) => RemoteWork; close: () => Promise<void> } | null> {
  if (project.config.loop.remote === undefined) return null;
  const url = needsPostgres(project, "loop with loop.remote");
  const boss: Boss = await openBoss(url, { name: "viable loop (coordinator)", supervise: true, superviseSeconds: Math.max(1, Math.floor(project.config.loop.workers.heartbeat_s / 2)) });
  return {
    remote: coordinator({ store: project.store, config: project.config, boss, remote: project.config.loop.remote }),
    close: () => boss.stop().catch(() => undefined),
  };
}
