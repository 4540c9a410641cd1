// The coordinator's side of a distributed loop (`viable loop` with a Postgres store and
// `loop.remote`): the loop schedules and merges as always; each attempt's work goes to a worker as
// a pg-boss job in its runtime's queue, from the integration branch as published on the remote. The
// coordinator waits for the job, fetches the worker's branch into a worktree here, and the merge
// queue — one, here — re-verifies and fast-forwards it, then publishes the new tip.
//
// Cancellation crosses machines through the job: an abort here cancels it, and the worker's next
// heartbeat, fenced to its claim, finds it no longer its own and stops the agent's process group.

import { randomUUID } from "node:crypto";
import type { Instance } from "pg-boss";
import os from "node:os";
import { errorMessage } from "../domain/errors.ts";
import type { ViableConfig } from "../config/config.ts";
import type { RemoteRun } from "../engine/loop/loop.ts";
import type { RemoteResult, RemoteWork, RemoteWorkInput } from "../engine/loop/loop-context.ts";
import { AttemptFailure } from "../engine/loop/item-workspace.ts";
import type { Store } from "../store/store.ts";
import { whileReachable } from "../store/postgres/connection.ts";
import { addWorktree, itemBranch, itemSlug, itemWorktreeDir, keepWork, revParse } from "../workspace/worktrees.ts";
import { WORKER_BEAT_SECONDS, WORKER_INSTANCE, type Boss, type QueueSettings } from "./boss.ts";
import { gitOk } from "../workspace/git.ts";
import { fetchBranch, pushCommit, remoteTip } from "./git-remote.ts";
import { ITEM_JOB_VERSION, ItemJobResultSchema, queueName, workerTaskPrefix, type ItemJob, type ItemJobResult } from "./jobs.ts";

export interface CoordinatorOptions {
  store: Store;
  config: ViableConfig;
  boss: Boss;
  remote: string;
  /** How often a waiting attempt asks after its job. */
  pollMs?: number;
  /** How often the run's spend across the workers is added up (budgets.run). */
  budgetPollMs?: number;
}

export function queueSettings(config: ViableConfig): QueueSettings {
  const w = config.loop.workers;
  return { heartbeatSeconds: w.heartbeat_s, retryLimit: w.retries, expireInSeconds: w.expire_s };
}

export function coordinator(opts: CoordinatorOptions): (run: RemoteRun) => RemoteWork {
  return (run) => {
    const { store, boss, remote } = opts;
    const root = store.paths.root;
    const settings = queueSettings(opts.config);
    const pollMs = opts.pollMs ?? 500;
    /** What the remote's integration branch was last set to from here. */
    let published: string | null = null;
    let publishing: Promise<void> = Promise.resolve();

    /** The remote's integration branch at the local tip (a fast-forward), once per tip. */
    const publish = (commit: string): Promise<void> => {
      publishing = publishing.catch(() => undefined).then(async () => {
        if (published === commit) return;
        // A fast-forward only: a remote branch someone moved elsewhere is refused by git, not overwritten.
        if ((await remoteTip(root, remote, run.integration)) !== commit) await pushCommit(root, remote, commit, run.integration);
        published = commit;
      });
      return publishing;
    };

    const localTip = () => revParse(root, `refs/heads/${run.integration}`);

    // A job on a queue no worker takes waits without end: the person is told which runtime has no
    // worker and how to start one, once, and again once one takes it up. What serves a queue is
    // pg-boss's own registry of live instances and the queues their work() calls poll.
    /** Queues told as having no worker, and when each queue was last looked at. */
    const unserved = new Set<string>();
    const lookedAt = new Map<string, number>();
    const nowServed = (queue: string, runtime: string) => {
      if (unserved.delete(queue)) run.note(`a worker now takes ${runtime} jobs (queue ${queue})`);
    };
    const watchServed = async (queue: string, runtime: string, waitingSince: number): Promise<void> => {
      // A worker starting with the loop may not be in the registry yet.
      if (Date.now() - waitingSince < UNSERVED_AFTER_MS || Date.now() - (lookedAt.get(queue) ?? 0) < SERVED_CHECK_MS) return;
      lookedAt.set(queue, Date.now());
      const instances = await boss.boss.getInstances({ limit: 1000 }).catch(() => null);
      if (instances === null) return;
      const workers = instances.filter((i) => i.live && i.name === WORKER_INSTANCE);
      if (workers.some((i) => i.workers.some((w) => w.queue === queue))) nowServed(queue, runtime);
      // One that has not yet listed its queues may serve it or not: nothing changes until it has.
      else if (!workers.some(startingUp) && !unserved.has(queue)) {
        unserved.add(queue);
        run.note(`no live worker takes ${runtime} jobs (queue ${queue}); items for ${runtime} wait until one does: start \`viable worker --runtimes ${runtime}\` in a clone of the project`);
      }
    };

    // The run's budget holds across machines: each worker's pipeline sees only its own attempts,
    // so the coordinator adds up what every attempt of the run has recorded — before it sends a job,
    // and every second — and stops the run (cancelling the jobs, which stops their agents) once it
    // is crossed.
    const stopTimers: (() => void)[] = [];
    const limits = opts.config.budgets.run;
    const started = Date.now();
    const fix = "raise budgets.run in .viable/config.json, or run `viable loop` again with a new budget";
    /** The run budget crossed, in words; null while there is some left. */
    const overBudget = async (): Promise<string | null> => {
      if (limits?.seconds !== undefined && (Date.now() - started) / 1000 >= limits.seconds) {
        return `run budget exceeded: ${Math.round((Date.now() - started) / 1000)} s of ${limits.seconds} s; ${fix}`;
      }
      if (limits?.usd === undefined && limits?.tokens === undefined) return null;
      const spent = await store.queries.runSpend(run.runId);
      if (limits.usd !== undefined && spent.usd >= limits.usd) return `run budget exceeded: $${spent.usd.toFixed(4)} spent of $${limits.usd} across the workers; ${fix}`;
      if (limits.tokens !== undefined && spent.tokens >= limits.tokens) return `run budget exceeded: ${spent.tokens} tokens used of ${limits.tokens} across the workers; ${fix}`;
      return null;
    };
    if (limits?.usd !== undefined || limits?.tokens !== undefined || limits?.seconds !== undefined) {
      const timer = setInterval(() => {
        void overBudget().then((over) => over !== null && run.stopForBudget(over), () => undefined);
      }, opts.budgetPollMs ?? 1000);
      timer.unref();
      stopTimers.push(() => clearInterval(timer));
    }

    const work = async (input: RemoteWorkInput): Promise<RemoteResult> => {
      const { item, attempt, signal } = input;
      const queue = queueName(input.runtime);
      await whileReachable(() => boss.ensureQueue(queue, settings, { update: true }), PATIENCE_MS, signal);
      const base = await localTip();
      if (!base) throw new Error(`the integration branch ${run.integration} has no commit`);
      await publish(base);
      // A coordinator that died left this attempt's job behind: take it up where it is (running, or
      // finished while nobody waited) instead of working the item twice.
      const prior = await dispatchedJob(store, item.id, attempt);
      const id = prior ?? randomUUID();
      const job: ItemJob = {
        v: ITEM_JOB_VERSION, run_id: run.runId, item, attempt, slot: input.slot, base, integration: run.integration, verify: [...item.verify, ...run.projectVerify],
        source: { format: run.source.format, file: run.source.file, ...(run.source.tag !== undefined ? { tag: run.source.tag } : {}) },
        ...(input.previousFailure !== undefined ? { previous_failure: input.previousFailure } : {}), ...(input.answered ? { answered: input.answered } : {}),
      };
      const existing = prior ? await whileReachable(() => boss.boss.getJobById(queue, prior), PATIENCE_MS, signal) : null;
      if (existing === null) {
        // No attempt starts once the run's budget is spent, as locally (the next poll could come
        // only after this job's agent had spent more).
        const over = await overBudget().catch(() => null);
        if (over !== null) {
          run.stopForBudget(over);
          throw signal.reason;
        }
        await whileReachable(() => boss.boss.send(queue, job, { id }), PATIENCE_MS, signal);
      }
      else if (existing.state === "cancelled") await whileReachable(() => boss.boss.resume(queue, id), PATIENCE_MS, signal);
      else if (existing.state === "failed") await whileReachable(() => boss.boss.retry(queue, id), PATIENCE_MS, signal);
      input.onDispatched({ id, queue });
      const sent = Date.now();
      for (;;) {
        if (signal.aborted) {
          await whileReachable(() => boss.boss.cancel(queue, id), 10_000).catch(() => undefined);
          throw signal.reason;
        }
        const j = await boss.boss.getJobById<ItemJob>(queue, id).catch(() => null);
        // Taken up by a worker (it may have finished between two looks).
        if (j?.state === "active" || j?.state === "completed" || j?.state === "failed") nowServed(queue, input.runtime);
        if (j?.state === "completed") return await settle(input, j.data.base, parsed(j.output));
        if (j?.state === "failed") {
          const why = errorMessage((j.output as { message?: unknown } | null)?.message ?? j.output);
          throw new AttemptFailure(`the workers could not finish the attempt (${j.retryCount + 1} tries): ${why}`, `A worker failed while working on this item: ${why}`);
        }
        if (j?.state === "cancelled") throw new AttemptFailure("the item's job was cancelled", "The previous attempt was cancelled.");
        if (j?.state === "created" || j?.state === "retry") await watchServed(queue, input.runtime, sent);
        await sleep(pollMs, signal);
      }
    };

    /** A worker's branch, as it reported it, in the item's worktree here (what was there before kept on a branch). */
    const checkOut = async (input: RemoteWorkInput, branch: string, head: string): Promise<string> => {
      const { item } = input;
      const dir = itemWorktreeDir(store.paths, item.id);
      // The fetch too: its connectivity check reads every worktree's HEAD, and one half made by a
      // concurrent `git worktree add` fails it ("bad object worktrees/<item>/HEAD").
      await run.adminQueue.run(async () => {
        const fetched = await fetchBranch(root, remote, branch, `refs/viable-fetched/${itemSlug(item.id)}`, input.signal);
        if (fetched !== head) throw new AttemptFailure(`the worker's branch ${branch} is not on the remote as it reported (${fetched ?? "missing"} instead of ${head})`);
        // What the item's worktree or branch here holds (a person's work on an earlier question) is kept first.
        const kept = await keepWork(root, item.id, dir, run.integration, `attempt-${input.attempt}-local`, { signal: input.signal });
        if (kept.note !== undefined && !kept.removed) throw new AttemptFailure(`the item's worktree here could not be made ready: ${kept.note}`);
        if (kept.keptBranch) run.note(`${item.id}: what its worktree here held is kept on branch ${kept.keptBranch}`);
        await addWorktree(root, dir, itemBranch(item.id), head, { signal: input.signal });
      });
      return dir;
    };

    /** A worker's answer: its branch as a worktree here to merge, or the attempt's failure. */
    const settle = async (input: RemoteWorkInput, base: string, r: ItemJobResult): Promise<RemoteResult> => {
      if (r.kind === "failed") {
        const failure = new AttemptFailure(r.reason, r.context, r.failure, undefined, r.checks);
        failure.attemptId = r.attempt_id;
        if (r.question !== undefined) {
          failure.question = r.question;
          // The agent stopped for a person and the loop waits for one: its work comes here as it
          // left it — uncommitted on the item's branch at the base, as a local agent's would be —
          // for `viable attach` or the answer.
          if (run.onNeedsInput === "wait" && r.branch !== null && r.head !== undefined) {
            try {
              const dir = await checkOut(input, r.branch, r.head);
              await gitOk(dir, ["reset", "--quiet", base], { signal: input.signal });
              failure.workspace = { dir, branch: itemBranch(input.item.id), base };
            } catch (e) {
              if (input.signal.aborted) throw e;
              // The question stands without the work: a person can still answer it.
              run.note(`${input.item.id}: the agent's unfinished work could not be brought here from ${r.branch} (${errorMessage(e)}); its question waits without it`);
            }
          }
        }
        throw failure;
      }
      const dir = await checkOut(input, r.branch, r.head);
      return { workspace: { dir, branch: itemBranch(input.item.id), base: r.base }, checks: r.checks, attemptId: r.attempt_id, worker: r.worker };
    };

    const spent = async (itemId: string, job: string): Promise<{ usd: number; tokens: number }> => {
      const tally = { usd: 0, tokens: 0 };
      for (const a of await store.queries.attemptsOfItem(itemId)) {
        if (!a.task_id.startsWith(workerTaskPrefix(job)) || !a.outcome) continue;
        tally.usd += a.outcome.costUsd ?? 0;
        tally.tokens += a.outcome.usage.inputTokens + a.outcome.usage.outputTokens;
      }
      return tally;
    };

    return { work, published: publish, spent, close: () => stopTimers.forEach((stop) => stop()) };
  };
}

/** How often a waiting job's queue is looked up in pg-boss's registry of live workers. */
const SERVED_CHECK_MS = 2_000;

/** How long a job waits on its queue before a missing worker is reported (two of a worker's registry beats). */
const UNSERVED_AFTER_MS = 2 * WORKER_BEAT_SECONDS * 1000;

/**
 * A worker that registered but has not yet beaten with its queues in the registry (it lists them
 * only at its first heartbeat after start): it may serve the queue, so it is not reported missing.
 */
function startingUp(i: Instance): boolean {
  return i.workers.length === 0 && i.heartbeatOn.getTime() - i.startedOn.getTime() < i.heartbeatSeconds * 1000 * 1.5;
}

/** How long the coordinator waits for a restarted or unreachable Postgres before an attempt fails. */
const PATIENCE_MS = 120_000;

/**
 * The job a coordinator dispatched for this attempt and never settled (it died waiting): the item's
 * newest events, newest first, up to the attempt's end or a new attempt.
 */
async function dispatchedJob(store: Store, itemId: string, attempt: number): Promise<string | null> {
  const events = await store.queries.itemEvents(itemId, 50);
  for (const e of events.reverse()) {
    if (e.event_type === "item_passed" || e.event_type === "item_failed" || e.event_type === "item_blocked" || e.event_type === "item_answered") return null;
    if (e.event_type === "item_status" && typeof e.data.job === "string" && e.data.attempt === attempt) return e.data.job;
    if (e.event_type === "item_started" && e.data.attempt !== attempt) return null;
  }
  return null;
}

function parsed(output: unknown): ItemJobResult {
  const r = ItemJobResultSchema.safeParse(output);
  if (!r.success) {
    throw new AttemptFailure(`a worker's answer could not be read (${r.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}): is every machine on the same Viable version?`);
  }
  return r.data;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** For `viable doctor` and the worker's lines: this machine. */
export function machine(): string {
  return `${os.hostname()} pid ${process.pid}`;
}
