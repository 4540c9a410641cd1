// `viable worker`: one machine's share of a distributed loop. It takes item attempts from the
// queues of the runtimes it has (pg-boss: claims, heartbeats, retries), gets the project from the
// remote, works each attempt in a worktree of its own under the same supervision, budgets and
// policies as a local loop — the same attempt pipeline, agents, setup hook and verification — and
// pushes the verified branch for the coordinator to merge. Nothing is merged here.
//
// Each attempt is recorded under a task of its own, in this process's session, so the store knows
// whose work it is: a coordinator that restarts leaves a live worker's attempt alone, and closes the
// records of a worker that died.
//
// A job stops when its claim is no longer this worker's (cancelled by the coordinator, or retried
// elsewhere after this worker was cut off: pg-boss's fenced heartbeat aborts it), when the kill
// switch is engaged, or when the worker is stopped; the agent's process group goes with it.

import type { Job } from "pg-boss";
import { errorMessage } from "../domain/errors.ts";
import type { ViableConfig } from "../config/config.ts";
import type { AgentRegistry } from "../agents/registry.ts";
import type { AttemptPipeline } from "../engine/attempt/pipeline.ts";
import { allocateItem } from "../engine/loop/item-allocation.ts";
import { runAgents } from "../engine/loop/item-agents.ts";
import { itemEnv, label } from "../engine/loop/item-env.ts";
import { verifyCommands } from "../engine/loop/item-verify.ts";
import { AttemptFailure, checkIntegrity, commitWork, recordedChecks, runSetup, type ItemWorkspace } from "../engine/loop/item-workspace.ts";
import type { WorkContext } from "../engine/loop/loop-context.ts";
import { SerialQueue } from "../engine/loop/merge-queue.ts";
import type { Store } from "../store/store.ts";
import { gitOk } from "../workspace/git.ts";
import { addWorktree, discardWorkspace, itemSlug, itemWorktreeDir } from "../workspace/worktrees.ts";
import type { Boss } from "./boss.ts";
import { machine, queueSettings } from "./coordinator.ts";
import { fetchBranch, pushCommit } from "./git-remote.ts";
import { ITEM_JOB_VERSION, ItemJobSchema, queueName, workBranch, workerTaskId, type ItemJob, type ItemJobResult } from "./jobs.ts";

export interface WorkerOptions {
  store: Store;
  config: ViableConfig;
  registry: AgentRegistry;
  pipeline: AttemptPipeline;
  boss: Boss;
  remote: string;
  runtimes: readonly string[];
  concurrency: number;
  /** Stops taking jobs and stops the running ones (their jobs go back to be retried). */
  signal: AbortSignal;
  /** One line per job taken and finished, for the terminal. */
  onLine: (line: string) => void;
}

export interface WorkerSummary {
  taken: number;
  passed: number;
  failed: number;
  /** Attempts stopped before they finished (cancelled, retried elsewhere, kill switch, the worker stopped). */
  stopped: number;
}

export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  const summary: WorkerSummary = { taken: 0, passed: 0, failed: 0, stopped: 0 };
  /** Jobs being worked: a stopping worker waits for them to record how they ended. */
  const inflight = new Set<Promise<unknown>>();
  const admin = new SerialQueue();
  const slots = new Semaphore(o.concurrency);
  const killSwitch = new AbortController();
  const watch = setInterval(() => {
    void o.store.queries.killSwitch().then((k) => {
      if (k) killSwitch.abort(`the kill switch is engaged: ${k.reason}`);
    }, () => undefined);
  }, 1000);
  try {
    for (const runtime of o.runtimes) {
      const queue = queueName(runtime);
      await o.boss.ensureQueue(queue, queueSettings(o.config));
      await o.boss.boss.work<ItemJob, ItemJobResult>(queue, { localConcurrency: o.concurrency, batchSize: 1, pollingIntervalSeconds: 0.5, heartbeatRefreshSeconds: 1 }, async ([job]) => {
        await slots.acquire();
        try {
          summary.taken++;
          const working = workJob(o, admin, job!, AbortSignal.any([job!.signal, o.signal, killSwitch.signal]));
          inflight.add(working);
          void working.catch(() => undefined).finally(() => inflight.delete(working));
          const result = await working;
          if (result.kind === "passed") summary.passed++;
          else summary.failed++;
          return result;
        } catch (e) {
          summary.stopped++;
          throw e;
        } finally {
          slots.release();
        }
      });
    }
    await new Promise<void>((resolve) => {
      if (o.signal.aborted || killSwitch.signal.aborted) return resolve();
      o.signal.addEventListener("abort", () => resolve(), { once: true });
      killSwitch.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    // Their agents are being stopped (the signal reached them); each records its end first.
    await Promise.allSettled([...inflight]);
    return summary;
  } finally {
    clearInterval(watch);
  }
}

async function workJob(o: WorkerOptions, admin: SerialQueue, job: Job<ItemJob>, signal: AbortSignal): Promise<ItemJobResult> {
  const parsed = ItemJobSchema.safeParse(job.data);
  if (!parsed.success) {
    throw new Error(`job ${job.id} is not an item attempt this Viable understands (${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}): run the same Viable version on every machine`);
  }
  const data = parsed.data;
  const { item, attempt } = data;
  const worker = machine();
  const taskId = workerTaskId(job.id, job.retryCount);
  const journal = o.store.journal;
  const now = () => o.store.timestamp();
  await journal.commit({
    event: { event_type: "task_started", task_id: taskId, data: { description: `worker: ${item.id} attempt ${attempt}`, item: item.id, job: job.id, try: job.retryCount + 1, worker, pid: process.pid } },
    changes: [{
      type: "task_inserted",
      task: {
        id: taskId, description: `${item.id} attempt ${attempt} on ${worker}`, created_at: now(), updated_at: now(), status: "in_progress", complexity: "unknown",
        assigned_agents: [], metadata: { kind: "worker_job", run_id: data.run_id, item: item.id, job: job.id }, session_id: o.store.sessionId, owner_pid: process.pid, failure_reason: null,
      },
    }],
  });
  // What the coordinator's readers see: this item is being worked, here.
  journal.stage({ event: { event_type: "item_status", task_id: data.run_id, data: { item: item.id, status: "running", phase: "agents", attempt, worker, job: job.id, try: job.retryCount + 1 } } });
  o.onLine(`▶ ${item.id} (attempt ${attempt}, try ${job.retryCount + 1})`);
  const ctx: WorkContext = {
    paths: o.store.paths, config: o.config, registry: o.registry, pipeline: o.pipeline, adminQueue: admin, integration: data.integration,
    projectVerify: [], runId: taskId, signal, recorder: { event: (type, d) => journal.stage({ event: { event_type: type, task_id: data.run_id, data: d } }) },
  };
  const branch = workBranch(itemSlug(item.id), attempt, job.id, job.retryCount);
  const ws: ItemWorkspace = { dir: itemWorktreeDir(o.store.paths, `${item.id}@${job.id.slice(0, 8)}-try${job.retryCount + 1}`), branch, base: data.base };
  const last = { attemptId: null as string | null };
  let pushed: string | null = null;
  const finish = async (result: ItemJobResult | null, error?: string) => {
    const status = result?.kind === "passed" ? "completed" : "failed";
    await journal.commit({
      event: { event_type: status === "completed" ? "task_completed" : "task_failed", task_id: taskId, data: { item: item.id, ...(result ? { result: result.kind } : {}), ...(error ? { reason: error } : {}), branch: pushed } },
      changes: [{ type: "task_updated", id: taskId, patch: { status, updated_at: now(), owner_pid: null, ...(status === "failed" ? { failure_reason: error ?? (result?.kind === "failed" ? result.reason : null) } : {}) } }],
    }).catch(() => undefined);
  };
  try {
    const root = o.store.paths.root;
    await admin.run(async () => {
      const tip = await fetchBranch(root, o.remote, data.integration, `refs/viable-remote/${data.integration}`, signal);
      if (tip === null) throw new Error(`the remote ${o.remote} has no branch ${data.integration}`);
      await gitOk(root, ["cat-file", "-e", `${data.base}^{commit}`], { signal });
      await addWorktree(root, ws.dir, ws.branch, data.base, { signal });
    });
    const env = itemEnv(ctx, item, data.slot, ws);
    const allocation = allocateItem(item, o.registry, o.config);
    const result = await (async (): Promise<ItemJobResult> => {
      try {
        await runSetup(o.config, o.store.paths, ws, env, label(ctx, item, attempt), signal, o.pipeline.processes);
        await runAgents(ctx, { item, attempt, allocation, cwd: ws.dir, env, previousFailure: data.previous_failure, keptBranch: null, last, answered: data.answered, signal });
        const head = await commitWork(ws, await checkIntegrity(ws, signal), item.id, attempt, signal);
        const report = await verifyCommands(ctx, { commands: data.verify, cwd: ws.dir, env, label: label(ctx, item, attempt), signal });
        const checks = recordedChecks(report.checks);
        if (!report.passed) {
          throw new AttemptFailure(`verification failed: ${report.findings.join("; ")}`, `Your previous attempt failed verification:\n${report.feedback}`, undefined, undefined, checks);
        }
        // Only while the job is still this try's: a worker cut off long enough for the job to be
        // retried elsewhere must not publish a second answer (the coordinator would never merge
        // it, but nobody should have to wonder).
        await confirmClaim(o, job, signal);
        await pushCommit(root, o.remote, head, ws.branch, { force: true, signal });
        pushed = ws.branch;
        return { v: ITEM_JOB_VERSION, kind: "passed", worker, branch: ws.branch, head, base: data.base, checks, attempt_id: last.attemptId };
      } catch (e) {
        if (signal.aborted || !(e instanceof AttemptFailure)) throw e;
        // An agent that stopped for a person: what it did so far goes to the remote with the
        // question, so a person can take it over on the coordinator's machine (`viable attach`).
        let kept: string | null = null;
        if (e.question !== undefined) {
          await confirmClaim(o, job, signal);
          try {
            // Committed the one way an attempt's work is (what the setup hook made stays out).
            kept = await commitWork(ws, await checkIntegrity(ws, signal), item.id, attempt, signal);
            await pushCommit(root, o.remote, kept, ws.branch, { force: true, signal });
            pushed = ws.branch;
          } catch (pushFailed) {
            if (signal.aborted) throw pushFailed;
            // The question still goes to the coordinator, without the work: a person answers it there.
            o.onLine(`  ${item.id}: the unfinished work could not be pushed (${errorMessage(pushFailed)}); the question goes without it`);
            kept = null;
          }
        }
        // The item's own failure: an answer for the coordinator's policies, not a job to retry.
        return {
          v: ITEM_JOB_VERSION, kind: "failed", worker, reason: e.message, context: e.context, attempt_id: last.attemptId,
          ...(kept !== null ? { branch: ws.branch, head: kept } : { branch: null }),
          ...(e.failure ? { failure: e.failure } : {}), ...(e.checks ? { checks: [...e.checks] } : {}), ...(e.question !== undefined ? { question: e.question } : {}),
        };
      }
    })();
    o.onLine(`${result.kind === "passed" ? "✓" : "✗"} ${item.id} (attempt ${attempt})${result.kind === "failed" ? `: ${result.reason}` : ` → ${result.branch}`}`);
    await finish(result);
    await journal.flush();
    return result;
  } catch (e) {
    const why = signal.aborted ? abortText(signal) : errorMessage(e);
    o.onLine(`■ ${item.id} (attempt ${attempt}) stopped: ${why}`);
    // Whatever the agents did is kept on the remote, in case nobody else finishes it — unless the
    // job went to another worker meanwhile: then this try's branch stays on this machine only.
    if (!pushed && !(e instanceof ClaimLost)) await keepOnRemote(o, ws).catch(() => undefined);
    await finish(null, why);
    throw new Error(why, { cause: e });
  } finally {
    await admin.run(() => discardWorkspace(o.store.paths.root, ws)).catch(() => undefined);
  }
}

/**
 * Asks pg-boss whether `job` is still active under this try (a fenced touch). While the server
 * cannot be reached, asks again until it can or the job's signal ends it; a job that is no longer
 * this try's ends the attempt.
 */
async function confirmClaim(o: WorkerOptions, job: Job<ItemJob>, signal: AbortSignal): Promise<void> {
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    if (signal.aborted) throw signal.reason;
    let touched: { settled?: string[] } | null;
    try {
      touched = await o.boss.boss.touch(job.name, [{ id: job.id, retryCount: job.retryCount }]);
    } catch {
      touched = null;
    }
    if (touched) {
      if (touched.settled === undefined || touched.settled.includes(job.id)) return;
      throw new ClaimLost(`job ${job.id} was retried elsewhere while this worker could not reach the database: this try's work is not pushed`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The job is no longer this try's. */
class ClaimLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClaimLost";
  }
}

/** A stopped attempt's commits and changes, pushed to its work branch (it is the try's own: never merged). */
async function keepOnRemote(o: WorkerOptions, ws: ItemWorkspace): Promise<void> {
  const root = o.store.paths.root;
  // The attempt's own signal has ended it: this gets a minute of its own.
  const signal = AbortSignal.timeout(60_000);
  await gitOk(ws.dir, ["add", "-A"], { signal });
  if ((await gitOk(ws.dir, ["status", "--porcelain"], { signal })).trim() !== "") {
    await gitOk(ws.dir, ["-c", "user.name=viable", "-c", "user.email=viable@localhost", "commit", "--quiet", "-m", "viable: work of a stopped attempt"], { signal });
  }
  const head = (await gitOk(ws.dir, ["rev-parse", "HEAD"], { signal })).trim();
  if (head === ws.base) return;
  await pushCommit(root, o.remote, head, ws.branch, { force: true, signal });
}

function abortText(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === "string" ? r : r instanceof Error ? r.message : "stopped";
}

/** At most `n` jobs at once across every queue this worker serves. */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((r) => this.#waiting.push(r));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

