// `viable loop`: works the stored plan until every item has passed or only blocked ones remain.
//
// Start-up: check the project (git, the integration branch, a clean main worktree), record the run
// as a task — durably: its id prefixes every attempt's marker, so a crash always leaves something to
// reconcile — and reconcile (loop-reconcile.ts). Then the loop proper: the scheduler hands out
// ready items within the global and per-runtime limits; each item attempt runs concurrently up to
// the merge queue, which is serial; each result updates the scheduler, which releases dependents
// once an item has passed (verified and merged). Agents run through the attempt pipeline, under the
// same retries, breakers, fallbacks and budgets as `viable run`. Above it sits the loop's own item
// policy: a failed attempt is retried on a fresh base up to `loop.max_attempts`, then the item is
// blocked with its reason, and so is everything depending on it; a streak of
// `loop.max_consecutive_failures` failed attempts stops the loop (at a terminal the user is asked).
// Everything the loop does is a journal event, which is also how it reports progress.

import type { AgentRegistry } from "../../agents/registry.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { ViableConfig } from "../../config/config.ts";
import type { ItemQuestionPrompt, YesNoPrompt } from "../../domain/permissions.ts";
import { detectTooling } from "../../analysis/project-commands.ts";
import { errorMessage, isUserError, noPlanImported, UserError } from "../../domain/errors.ts";
import type { ItemId, PlanItem, PlanSource } from "../../plan/plan.ts";
import { Scheduler, type SchedulerCounts } from "../../plan/scheduler.ts";
import { planValidationError, validatePlan } from "../../plan/validate.ts";
import { CommitFailed } from "../../store/journal.ts";
import type { Store } from "../../store/store.ts";
import { git } from "../../workspace/git.ts";
import { pruneKeptBranches, supersededIn } from "../../workspace/kept-branches.ts";
import { currentBranch, isAncestor, revParse, uncommittedPaths } from "../../workspace/worktrees.ts";
import type { AttemptPipeline } from "../attempt/pipeline.ts";
import { assertNotStopped } from "../kill-switch.ts";
import { allocateItem } from "./item-allocation.ts";
import { runItemAttempt, type AttemptEnd } from "./item-attempt.ts";
import type { LoopContext, LoopOutcome, RemoteWork, WorkspaceMode } from "./loop-context.ts";
import { LOOP_RUN_PREFIX, reconcilePlan } from "./loop-reconcile.ts";
import { SerialQueue } from "./merge-queue.ts";
import { removeLeftoverScratches } from "./conflict-resolution.ts";
import { consumed, watchForPerson } from "./needs-input.ts";
import { OverlapGuard } from "./overlap-guard.ts";
import { ShadowControl } from "./shadow.ts";
import { checkIntegrity, type ItemWorkspace } from "./item-workspace.ts";
import { itemWorktreeDir } from "../../workspace/worktrees.ts";
import { LoopRecorder } from "./recorder.ts";

export interface LoopDeps {
  store: Store;
  config: ViableConfig;
  registry: AgentRegistry;
  /** The process's attempt pipeline (its attempts' rows may be staged: see AttemptEnvironment). */
  pipeline: AttemptPipeline;
  /** Workers on other machines do the items' work (src/swarm): made for this run once it is recorded. */
  remote?: (run: RemoteRun) => RemoteWork;
}

/** What the workers of one run need to know of it. */
export interface RemoteRun {
  runId: string;
  integration: string;
  /** The project's verify commands, run by the worker after the item's own. */
  projectVerify: string[];
  source: PlanSource;
  signal: AbortSignal;
  /** Stops the run: a budget the workers' attempts crossed together. */
  stopForBudget(message: string): void;
  /** Tells the person something of the run as a whole (a queue no worker takes jobs from). */
  note(message: string): void;
  /** What the loop does when an agent stops for a person (`wait` keeps its work for one). */
  onNeedsInput: "wait" | "retry" | "block";
  /** The loop's queue for worktree changes (git locks its worktree list while it changes it). */
  adminQueue: SerialQueue;
}

export interface LoopOptions {
  /** Items at once; default `loop.concurrency`. */
  concurrency?: number;
  /** Sessions (attempts) in this run; default `loop.max_sessions`. */
  maxSessions?: number;
  /** Work even when the main worktree has uncommitted changes. */
  allowDirty: boolean;
  /** Default `workspace.mode`. */
  mode?: WorkspaceMode;
  signal: AbortSignal;
  /** What the start-up reconciliation (engine/reconcile.ts) already stopped, reported with the loop's own. */
  startupReaped?: number;
  /**
   * At a terminal: asks the person there (whether to go on after a streak of failures — without it
   * the loop stops; whether an agent may use a tool its rules leave to a person).
   */
  ask?: YesNoPrompt;
  /** Work items someone else has claimed too (an in-progress Task Master task, a hooked beads issue). */
  includeClaimed?: boolean;
  /** The branch items merge into; default `loop.integration_branch`, else the branch checked out. */
  branch?: string;
  /** Default `loop.on_needs_input`, else `wait` with a person at the terminal (`ask`) and `retry` without. */
  onNeedsInput?: "wait" | "retry" | "block";
  /**
   * At a terminal: an agent's question put to the person there, beside the dashboard, MCP and
   * `viable attach` (whichever comes first holds; the others are withdrawn).
   */
  askQuestion?: ItemQuestionPrompt;
}

export interface LoopResult {
  runId: string;
  outcome: LoopOutcome;
  message: string;
  counts: SchedulerCounts;
  items: number;
  sessions: number;
  elapsedSeconds: number;
  blocked: { id: ItemId; reason: string }[];
  /** Claimed items the loop left alone (without `includeClaimed`). */
  leftAlone: ItemId[];
  /** The journal's commits and operations during the run, for benchmarks. */
  commits: { commits: number; ops: number };
}

/** The kill switch is read from the store this often; `viable stop` also signals the loop at once. */
const KILL_SWITCH_POLL_MS = 200;

export async function runLoop(deps: LoopDeps, opts: LoopOptions): Promise<LoopResult> {
  const { store, config } = deps;
  const { journal } = store;
  const started = performance.now();
  const commitsBefore = { ...journal.stats };
  const stored = await store.queries.plan();
  if (stored === null) {
    throw noPlanImported();
  }
  const { plan } = stored;
  const validation = validatePlan(plan);
  if (!validation.ok) throw planValidationError(validation, plan.source.file);

  const mode = opts.mode ?? config.workspace.mode;
  const concurrency = opts.concurrency ?? config.loop.concurrency;
  const maxSessions = opts.maxSessions ?? config.loop.max_sessions;
  if (opts.branch !== undefined && mode !== "worktree") {
    throw new UserError({ reason: "bad_usage", message: "--branch names the branch items merge into, but with workspace mode none nothing is merged", fix: "drop --branch, or run with --workspace worktree" });
  }
  let integration: string | null;
  try {
    integration = mode === "worktree" ? await preflight(store, config, stored.meta.integration_branch, opts) : null;
  } catch (e) {
    // Ctrl-C or `viable stop` before the run is recorded: a stop, with nothing to record.
    if (opts.signal.aborted && !isUserError(e)) {
      const reason: unknown = opts.signal.reason;
      throw reason instanceof LoopStopped ? reason : new LoopStopped("interrupted", "interrupted before the loop started");
    }
    throw e;
  }
  const integrator = mode === "worktree" ? integratorAgent(deps.registry, config.loop.integrator, store.paths.configFile) : undefined;
  await assertNotStopped(store);
  if (mode === "worktree") await removeLeftoverScratches(store.paths);

  const runId = `${LOOP_RUN_PREFIX}${crypto.randomUUID().replaceAll("-", "").slice(0, 8)}`;
  await journal.commit({
    event: { event_type: "task_started", task_id: runId, data: { description: `plan loop: ${plan.source.file}`, items: plan.items.length, mode, integration_branch: integration, pid: process.pid } },
    changes: [
      {
        type: "task_inserted",
        task: {
          id: runId, description: `plan loop: ${plan.source.file} (${plan.items.length} items)`, created_at: store.timestamp(), updated_at: store.timestamp(),
          status: "in_progress", complexity: "unknown", assigned_agents: [], metadata: { kind: "plan_loop", mode, integration_branch: integration },
          session_id: store.sessionId, owner_pid: process.pid, failure_reason: null,
        },
      },
      ...(integration ? [{ type: "integration_branch_set" as const, branch: integration, now: store.timestamp() }] : []),
    ],
  });

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal.reason);
  if (opts.signal.aborted) controller.abort(opts.signal.reason);
  else opts.signal.addEventListener("abort", onOuterAbort, { once: true });
  const previousOnFailure = journal.onFailure;
  journal.onFailure = (e) => controller.abort(e);

  let outcome: LoopOutcome | null = null;
  let message = "";
  /** Ends the waits for a person when the loop stops: waiting items keep their worktrees for the next run. */
  const stopWaiting = new AbortController();
  const stop = (why: LoopOutcome, text: string) => {
    if (outcome !== null) return;
    outcome = why;
    message = text;
    stopWaiting.abort();
  };
  // From the start: a Ctrl-C or `viable stop` during start-up ends the run as it would later.
  const onAbort = () => {
    const reason: unknown = controller.signal.reason;
    if (reason instanceof CommitFailed) stop("failed", reason.message);
    else if (reason instanceof LoopStopped) stop(reason.outcome, reason.message);
    else stop("interrupted", typeof reason === "string" ? reason : reason instanceof Error ? reason.message : "interrupted");
  };
  if (controller.signal.aborted) onAbort();
  else controller.signal.addEventListener("abort", onAbort, { once: true });
  let sessions = 0;
  let scheduler: Scheduler | undefined;
  let killSwitchTimer: NodeJS.Timeout | undefined;
  /** The workers' side of a distributed loop, closed with the run. */
  let remote: RemoteWork | undefined;
  let offLimits: (() => void) | undefined;
  try {
    const reconciliation = await reconcilePlan({
      store, plan, state: stored.state, mode, historyRev: integration ?? "HEAD", integration, graceMs: config.defaults.kill_grace_ms, runId, signal: controller.signal,
      importedAt: stored.meta.imported_at,
    });
    const projectVerify = config.verify ?? (mode === "none" ? [] : await detectedTestCommand(store.paths.root));
    const lastSession = await store.queries.lastSessionNumber();
    const rec = new LoopRecorder({ journal, runId, now: store.now, state: stored.state, lastSession });
    const shadows = new ShadowControl();
    if (await store.queries.shadowSwitch()) shadows.turnOff("shadows are off (`viable shadow off`)");
    const items = new Map(plan.items.map((i) => [i.id, i]));
    const keyLimits = config.loop.runtime_limits;
    const keyOf = Object.keys(keyLimits).length === 0 ? undefined : (item: PlanItem) => runtimeOf(item, deps, config);
    scheduler = new Scheduler(plan, { graph: validation.graph, concurrency, includeClaimed: opts.includeClaimed === true, ...(keyOf ? { keyOf, keyLimits } : {}) });
    rec.attach(scheduler);
    const sched = scheduler;

    const onNeedsInput = opts.onNeedsInput ?? config.loop.on_needs_input ?? (opts.ask ? "wait" : "retry");
    // Items that waited for a person when the last run ended: handed back meanwhile (verified and
    // merged now), still waiting, or — with another policy now — treated like any failed item.
    const waitingBefore: ItemId[] = [];
    for (const item of plan.items) {
      if (sched.status(item.id) !== "failed" || rec.state(item.id).phase !== "needs_input") continue;
      if (mode !== "worktree") continue;
      const latest = await store.queries.takeover(item.id);
      const handedBack = latest?.status === "ended" && !(await consumed(store, latest)) ? latest : null;
      if (handedBack) {
        const ws = await intactWorkspace(store, item.id, rec.state(item.id));
        if (ws) {
          // Taken over and handed back while no loop ran: recorded now, by the writer.
          rec.item(item.id, "item_handed_back", {
            by: handedBack.by_user, takeover_id: handedBack.id, status: "ended",
            seconds: secondsSince(handedBack.started_at, handedBack.ended_at ? new Date(handedBack.ended_at) : store.now()),
          }, { phase: "verifying" });
          reconciliation.resume.set(item.id, ws);
          rec.uncount(item.id);
          sched.retry(item.id, { first: true });
          continue;
        }
      }
      if (onNeedsInput === "wait" || latest?.status === "active" || handedBack) waitingBefore.push(item.id);
      else if (onNeedsInput === "block") blockItem(item.id, `the agent stopped for a person (loop.on_needs_input: block): ${rec.state(item.id).last_error ?? "see the log"}`);
      else rec.item(item.id, "item_status", { phase: null, reason: "no longer waits for a person (loop.on_needs_input: retry)" }, { phase: null });
    }
    // Items whose last attempt failed: retried while attempts remain, blocked otherwise.
    for (const item of plan.items) {
      if (sched.status(item.id) !== "failed" || waitingBefore.includes(item.id)) continue;
      if (sched.attempts(item.id) < config.loop.max_attempts) sched.retry(item.id);
      else blockItem(item.id, `failed ${sched.attempts(item.id)} attempts: ${rec.state(item.id).last_error ?? "see the log"}`);
    }

    // Items blocked because something they depend on is blocked in the file: recorded, so that
    // `viable plan show` and the events say what blocks them.
    for (const item of plan.items) {
      if (item.status === "blocked" || sched.status(item.id) !== "blocked") continue;
      rec.item(item.id, "item_blocked", { reason: sched.blockedReason(item.id) ?? "blocked", dependents: [] }, { phase: null });
    }
    // The counts every reader of the stream starts from: from here on each item event carries the
    // item's new status (items start pending, passed or blocked).
    rec.event("loop_started", { run_id: runId, items: plan.items.length, mode, integration_branch: integration, concurrency, counts: sched.counts(), left_alone: sched.leftAlone() });
    rec.event("loop_reconciled", {
      synced_from_git: reconciliation.synced, resumed: [...reconciliation.resume.keys()], reset: reconciliation.reset,
      reaped: reconciliation.reaped.length + (opts.startupReaped ?? 0), notes: reconciliation.notes,
    });

    const adminQueue = new SerialQueue();
    const ctx: LoopContext = {
      paths: store.paths, config, registry: deps.registry, pipeline: deps.pipeline, source: plan.source, recorder: rec, mode, integration, projectVerify,
      mergeQueue: new SerialQueue(), adminQueue, runId, signal: controller.signal, onNeedsInput, ...(integrator ? { integrator } : {}),
      shadows,
      ...(deps.remote && integration ? { remote: remote = deps.remote({
        runId, integration, projectVerify, source: plan.source, signal: controller.signal, adminQueue,
        stopForBudget: (message) => controller.abort(new LoopStopped("budget_exceeded", message)),
        note: (message) => rec.event("loop_note", { message }), onNeedsInput,
      }) } : {}),
    };
    const groups = new Set(plan.items.filter((i) => i.parent !== undefined).map((i) => i.parent!));
    const freeSlots: number[] = [];
    let nextSlot = 0;
    let consecutiveFailures = 0;
    // Items predicted to touch the same files wait for each other (loop.avoid_overlap).
    const overlap = config.loop.avoid_overlap ? new OverlapGuard() : undefined;
    /** Merge races each item lost in this run (loop.max_conflicts). */
    const conflicts = new Map<ItemId, number>();
    let asking = false;
    let inflight = 0;
    /** Items waiting for a person: the loop is not done while one waits. */
    const waiting = new Set<ItemId>();
    /** A person's answers to items' questions, for their next attempt. */
    const answers = new Map<ItemId, { question: string; answer: string | null }>();
    let finished!: () => void;
    const drained = new Promise<void>((resolve) => (finished = resolve));


    function blockItem(id: ItemId, reason: string): void {
      const dependents = sched.markBlocked(id, reason);
      rec.item(id, "item_blocked", { reason, dependents }, { phase: null });
      for (const d of dependents) rec.item(d, "item_blocked", { reason: `blocked by ${id}`, blocked_by: id }, { phase: null });
    }

    killSwitchTimer = setInterval(() => {
      void store.queries.killSwitch().then((k) => {
        if (k) controller.abort(new LoopStopped("kill_switch", "stopped by the kill switch (`viable stop`)"));
      }, () => undefined);
      // `viable shadow off` stops the running shadows at once; `on` lets new ones start.
      void store.queries.shadowSwitch().then((s) => {
        if (s && shadows.off === null) {
          shadows.turnOff("shadows turned off (`viable shadow off`)");
          rec.event("loop_note", { message: "shadows turned off (`viable shadow off`): the running ones are stopped, no new one starts" });
        } else if (!s && shadows.off !== null) {
          shadows.turnOn();
          rec.event("loop_note", { message: "shadows turned on again (`viable shadow on`)" });
        }
      }, () => undefined);
    }, KILL_SWITCH_POLL_MS).unref();

    // Every runtime of an agent's chain at its usage limit: the attempt waits for the reset (in
    // run-agent.ts), and the loop starts nothing new meanwhile — it would hit the same limit.
    let pausedAt: number | null = null;
    offLimits = deps.pipeline.limits.onChange((w) => {
      if (w !== null && pausedAt === null) {
        pausedAt = performance.now();
        rec.event("loop_paused", { until: w.until.toISOString(), runtimes: w.runtimes, reason: `every runtime of the agent's chain is at its usage limit` });
      } else if (w === null && pausedAt !== null) {
        rec.event("loop_resumed", { paused_seconds: round((performance.now() - pausedAt) / 1000) });
        pausedAt = null;
        // Deferred: the waiting attempt goes on first, before new ones are started beside it.
        setImmediate(pump);
      }
    });

    const pump = (): void => {
      while (outcome === null && !asking && pausedAt === null) {
        const room = maxSessions - sessions;
        const ids = overlap ? sched.take(Math.max(0, room), (item) => overlap.admit(item)) : sched.take(Math.max(0, room));
        if (ids.length === 0) {
          if (room <= 0 && sched.counts().ready > 0) stop("max_sessions", `reached the session limit of this run (${maxSessions}); run \`viable loop\` again to continue`);
          break;
        }
        for (const id of ids) launch(id);
      }
      // While the user is being asked, or an item waits for a person, an empty loop is not a finished one.
      if (inflight === 0 && !asking && waiting.size === 0) finished();
    };

    const launch = (id: ItemId): void => {
      const item = items.get(id)!;
      if (groups.has(id)) {
        // A group (a Task Master parent task, a beads epic) is done when its members are: they all passed.
        overlap?.release(id);
        sched.markPassed(id);
        rec.item(id, "item_passed", { group: true, commit: null, reverified: false, elapsed_seconds: 0 }, { phase: null, last_error: null });
        return;
      }
      sessions++;
      inflight++;
      const slot = freeSlots.length > 0 ? freeSlots.pop()! : nextSlot++;
      const attempt = sched.attempts(id);
      const resume = reconciliation.resume.get(id);
      reconciliation.resume.delete(id);
      const answered = answers.get(id);
      answers.delete(id);
      const previousFailure = answered ? undefined : rec.state(id).last_error ?? undefined;
      const t0 = performance.now();
      void runItemAttempt(ctx, { item, attempt, slot, ...(resume ? { resume } : {}), ...(previousFailure !== undefined ? { previousFailure } : {}), ...(answered ? { answered } : {}) })
        .then((end) => settle(id, attempt, end, (performance.now() - t0) / 1000), (e: unknown) => settle(id, attempt, { kind: "fatal", error: e instanceof Error ? e : new Error(String(e)) }, 0))
        .catch((e: unknown) => controller.abort(e instanceof CommitFailed ? e : new LoopStopped("failed", errorMessage(e))))
        .finally(() => {
          overlap?.release(id);
          freeSlots.push(slot);
          inflight--;
          pump();
        });
    };

    const settle = (id: ItemId, attempt: number, end: AttemptEnd, elapsed: number): void => {
      switch (end.kind) {
        case "passed": {
          sched.markPassed(id);
          consecutiveFailures = 0;
          rec.item(id, "item_passed", { attempt, commit: end.commit, reverified: end.reverified, elapsed_seconds: round(elapsed) }, { phase: null, merged_commit: end.commit, last_error: null });
          rec.session({ feature: id, success: true, elapsed_seconds: round(elapsed), error: null, attempt_id: end.attemptId });
          return;
        }
        case "failed": {
          rec.session({ feature: id, success: false, elapsed_seconds: round(elapsed), error: end.reason, attempt_id: end.attemptId });
          const budget = end.failure?.kind === "budget_exceeded" ? end.failure.scope : undefined;
          const failed = { attempt, reason: end.reason, kept_branch: end.keptBranch, failure: end.failure ?? null, ...(end.checks ? { checks: end.checks } : {}) };
          // Not the item's fault, and every item on the runtime would fail the same way: a spent
          // task or run budget, a key the provider refuses, a CLI that is not there, a runtime whose
          // breaker is open. The item waits, its attempt not counted, and the loop stops. (A request
          // the provider rejects as malformed may be the item's own — a prompt too long — so it
          // counts like any failure, and a streak of them stops the loop.)
          const kind = end.failure?.kind;
          if (kind === "usage_limit") {
            // Only when its wait for the reset was given up: the item goes on another time, uncounted.
            sched.retry(id);
            rec.interrupted(id, attempt, end.reason);
            return;
          }
          const setup = kind === "authentication" || kind === "not_installed" || kind === "circuit_open";
          if (budget === "task" || budget === "run" || setup) {
            sched.retry(id);
            rec.item(id, "item_failed", { ...failed, will_retry: false }, { phase: null, last_error: end.context });
            rec.interrupted(id, attempt, end.reason);
            controller.abort(budget !== undefined
              ? new LoopStopped("budget_exceeded", `${end.reason}; raise budgets.${budget} in .viable/config.json, or run \`viable loop\` again with a new budget`)
              : new LoopStopped("failed", `${end.reason}; nothing else can succeed on that runtime until it is fixed — then run \`viable loop\` again (the item's attempt is not counted)`));
            return;
          }
          if (end.question !== undefined && ctx.onNeedsInput === "block") {
            // loop.on_needs_input: block — a person must look at it before it runs again.
            rec.item(id, "item_failed", { ...failed, will_retry: false }, { phase: null, last_error: end.context });
            blockItem(id, `the agent stopped for a person (loop.on_needs_input: block): ${end.question}`);
            return;
          }
          if (end.conflict !== undefined) {
            // A lost merge race: the item's work was fine, others merged first. Not counted as
            // its failure; it goes first next time, and a bound of its own ends endless races.
            const lost = (conflicts.get(id) ?? 0) + 1;
            conflicts.set(id, lost);
            rec.uncount(id);
            const retry = lost < config.loop.max_conflicts;
            if (retry) sched.retry(id, { first: true });
            rec.item(id, "item_failed", { ...failed, conflict: end.conflict, conflicts: lost, will_retry: retry }, { phase: null, last_error: end.context });
            if (!retry) blockItem(id, `lost ${lost} merge races in this run (loop.max_conflicts), last in ${end.conflict.join(", ") || "some files"}`);
            return;
          }
          consecutiveFailures++;
          // A spent item budget is spent for every further attempt.
          // Lost merge races are not the item's failures: they do not use up its attempts.
          const retry = budget !== "item" && rec.countedAttempts(id) < config.loop.max_attempts;
          if (retry) sched.markFailed(id);
          rec.item(id, "item_failed", { ...failed, will_retry: retry }, { phase: null, last_error: end.context });
          if (retry) sched.retry(id);
          else blockItem(id, budget === "item" ? end.reason : `failed ${rec.countedAttempts(id)} attempt${rec.countedAttempts(id) === 1 ? "" : "s"}; last: ${end.reason}`);
          if (consecutiveFailures >= config.loop.max_consecutive_failures) void failureStreak();
          return;
        }
        case "needs_input":
          rec.session({ feature: id, success: false, elapsed_seconds: round(elapsed), error: `needs a person: ${end.question}`, attempt_id: end.attemptId });
          sched.markFailed(id);
          waitForPerson(id, attempt, end.question, end.attemptId, end.workspace);
          return;
        case "interrupted":
          sched.retry(id);
          rec.interrupted(id, attempt, end.reason);
          rec.session({ feature: id, success: false, elapsed_seconds: round(elapsed), error: `interrupted: ${end.reason}`, attempt_id: null });
          return;
        case "fatal":
          sched.retry(id);
          rec.interrupted(id, attempt, end.error.message);
          controller.abort(end.error instanceof CommitFailed ? end.error : new LoopStopped("failed", end.error.message));
          return;
      }
    };

    /** The item waits (its slot free for others) until a person takes it over, answers or blocks it. */
    const waitForPerson = (id: ItemId, attempt: number, question: string, attemptId: string | null, workspace: ItemWorkspace | null): void => {
      if (outcome !== null) {
        // The loop is stopping: the item keeps its worktree and waits for the next run.
        rec.item(id, "item_status", { phase: "needs_input", reason: "waits for a person; the loop is stopping" }, { phase: "needs_input", last_error: `The agent asked: ${question}` });
        return;
      }
      waiting.add(id);
      void (async () => {
        // Withdraws the question at this terminal once someone else acts on it.
        const withdraw = new AbortController();
        const watch = await watchForPerson(store, { itemId: id, runId, question, attemptId }, {
          takenOver: (t) => {
            withdraw.abort();
            rec.item(id, "item_taken_over", { by: t.by_user, takeover_id: t.id, attach: `tmux -L ${t.tmux_socket} attach -t ${t.tmux_session}` });
          },
          abandoned: (t) => rec.item(id, "item_handed_back", { by: t.by_user, takeover_id: t.id, seconds: secondsSince(t.started_at, store.now()), status: "abandoned" }),
        }, AbortSignal.any([controller.signal, stopWaiting.signal]));
        rec.item(id, "item_waiting", { attempt, question, attempt_id: attemptId, approval_id: watch.approvalId(), take_over: `viable attach ${id}` }, { phase: "needs_input", last_error: `The agent asked: ${question}` });
        // The person at this terminal answers through the same record as the dashboard would.
        if (opts.askQuestion) {
          void opts.askQuestion({ item: id, question }, AbortSignal.any([withdraw.signal, controller.signal, stopWaiting.signal])).then(async (a) => {
            if (a.kind === "wait") return;
            await store.journal.commit({ changes: [{ type: "approval_answered", id: watch.approvalId(), status: a.kind === "answer" ? "approved" : "rejected", by: "terminal", at: store.timestamp(), comment: a.kind === "answer" ? a.text : null }] });
          }).catch(() => undefined);
        }
        const d = await watch.decision.finally(() => withdraw.abort());
        if (d.kind === "handed_back") {
          const t = d.takeover;
          rec.item(id, "item_handed_back", { by: t.by_user, takeover_id: t.id, seconds: secondsSince(t.started_at, t.ended_at ? new Date(t.ended_at) : store.now()), status: "ended" }, { phase: "verifying" });
          const ws = workspace ?? await intactWorkspace(store, id, rec.state(id));
          if (ws) reconciliation.resume.set(id, ws);
          // The person finished the attempt: going on from verification is not a new one.
          rec.uncount(id);
          sched.retry(id, { first: true });
        } else if (d.kind === "retry") {
          const answer = d.answer?.trim() ? d.answer.trim() : null;
          rec.item(id, "item_answered", { by: d.by, decision: "retry", answer }, {
            phase: null, last_error: `The agent asked: ${question}\n${answer ? `A person answered: ${answer}` : "A person said to go on."}`,
          });
          answers.set(id, { question, answer });
          sched.retry(id, { first: true });
        } else {
          rec.item(id, "item_answered", { by: d.by, decision: "block", answer: d.comment }, { phase: null });
          blockItem(id, `blocked by ${d.by}${d.comment ? ` (${d.comment})` : ""} when the agent asked: ${question}`);
        }
      })().catch((e: unknown) => {
        if (!controller.signal.aborted && !stopWaiting.signal.aborted) controller.abort(e instanceof CommitFailed ? e : new LoopStopped("failed", errorMessage(e)));
      }).finally(() => {
        waiting.delete(id);
        pump();
      });
    };

    const failureStreak = async (): Promise<void> => {
      // One question at a time: failures that end while the user is being asked add to the streak.
      if (asking || outcome !== null) return;
      const n = consecutiveFailures;
      if (!opts.ask) {
        rec.event("failure_streak", { consecutive_failures: n, continued: false });
        stop("failure_streak", `${n} attempts failed in a row (loop.max_consecutive_failures); stopped. Look at the failures with \`viable plan show\`, then run \`viable loop\` again`);
        return;
      }
      asking = true;
      let go: boolean;
      try {
        go = await opts.ask(`${n} attempts failed in a row. Continue?`, controller.signal);
      } catch {
        go = false;
      }
      asking = false;
      try {
        rec.event("failure_streak", { consecutive_failures: n, continued: go });
      } catch {
        // The journal failed meanwhile: the abort it caused says so.
      }
      // Only the streak that was asked about is forgiven; failures that ended meanwhile still count.
      if (go) {
        consecutiveFailures -= n;
        if (consecutiveFailures >= config.loop.max_consecutive_failures) void failureStreak();
      } else stop("failure_streak", `${n} attempts failed in a row; stopped at your request`);
      pump();
    };

    for (const id of waitingBefore) {
      const last = rec.state(id).last_error ?? "";
      waitForPerson(id, sched.attempts(id), last.startsWith("The agent asked: ") ? last.slice("The agent asked: ".length) : last, null, null);
    }
    pump();
    // Resolves when nothing is in flight and nothing more will start (an abort included: its
    // attempts finish cancelling first).
    await drained;
    // Shadows still at work after their primaries finished: recorded before the run ends.
    await shadows.idle();
    if (outcome === null) {
      const c = sched.counts();
      const leftAlone = sched.leftAlone();
      const claimedNote = `${leftAlone.length} claimed by someone else left alone (${leftAlone.slice(0, 5).join(", ")}${leftAlone.length > 5 ? ", ..." : ""}), with what depends on them; run \`viable loop --include-claimed\` to work them too`;
      if (c.passed === plan.items.length) {
        outcome = "all_passed";
        message = `all ${plan.items.length} items passed`;
      } else if (leftAlone.length > 0 && c.blocked === 0) {
        outcome = "claimed";
        message = `${c.passed}/${plan.items.length} items passed; ${claimedNote}`;
      } else {
        outcome = "blocked";
        const blocked = plan.items.filter((i) => sched.status(i.id) === "blocked");
        message = `${c.passed}/${plan.items.length} items passed; ${blocked.length} blocked: ${blocked.slice(0, 5).map((i) => `${i.id} (${sched.blockedReason(i.id) ?? "blocked"})`).join(", ")}${blocked.length > 5 ? ", ..." : ""}${leftAlone.length > 0 ? `; ${claimedNote}` : ""}`;
      }
    }
    if (integration !== null && !controller.signal.aborted) {
      const superseded = supersededIn(plan.items.map((i) => ({ id: i.id, status: sched.status(i.id) })), stored.meta.imported_at);
      await tidyKeptBranches(store.paths.root, integration, superseded, config.loop.prune_kept_after_days, rec);
    }
  } catch (e) {
    if (e instanceof CommitFailed) {
      outcome = "failed";
      message = e.message;
    } else if (!controller.signal.aborted) {
      throw e;
    }
    // Aborted during start-up (a git command cut short): the outcome the abort set stands.
  } finally {
    remote?.close();
    opts.signal.removeEventListener("abort", onOuterAbort);
    clearInterval(killSwitchTimer);
    offLimits?.();
    journal.onFailure = previousOnFailure;
  }
  if (journal.failure && outcome !== "failed") {
    outcome = "failed";
    message = journal.failure.message;
  }
  const counts = scheduler?.counts() ?? { pending: 0, running: 0, passed: 0, blocked: 0, failed: 0, ready: 0 };
  let final: LoopOutcome = outcome ?? "failed";
  const elapsedSeconds = round((performance.now() - started) / 1000);
  const leftAlone = scheduler?.leftAlone() ?? [];
  // The last commit carries what was staged before it (the last items' results): if the disk
  // refuses it, the run did not succeed, whatever the items did.
  const unrecorded = await finishRun(store, runId, final, message, { counts, elapsed_seconds: elapsedSeconds, sessions, left_alone: leftAlone });
  if (unrecorded) {
    final = "failed";
    message = unrecorded.message;
  }
  return {
    runId, outcome: final, message, counts, items: plan.items.length, sessions, elapsedSeconds,
    blocked: blockedItems(plan.items, scheduler), leftAlone,
    commits: { commits: journal.stats.commits - commitsBefore.commits, ops: journal.stats.ops - commitsBefore.ops },
  };
}

/** A reason to stop that is not an interruption. */
export class LoopStopped extends Error {
  readonly outcome: LoopOutcome;
  constructor(outcome: LoopOutcome, message: string) {
    super(message);
    this.name = "LoopStopped";
    this.outcome = outcome;
  }
}

/**
 * Kept branches whose work has since landed on the integration branch go once they are older
 * than the grace period; the others hold work found nowhere else and stay. Never fails the run.
 */
async function tidyKeptBranches(root: string, integration: string, superseded: (slug: string, committedAt: string) => boolean, graceDays: number, rec: LoopRecorder): Promise<void> {
  try {
    const { deleted } = await pruneKeptBranches(root, integration, superseded, { olderThan: new Date(Date.now() - graceDays * 86_400_000) });
    if (deleted.length > 0) {
      rec.event("loop_note", { message: `pruned ${deleted.length} kept branch(es) whose work is on ${integration}: ${deleted.slice(0, 5).map((b) => b.name).join(", ")}${deleted.length > 5 ? ", ..." : ""}` });
    }
  } catch (e) {
    rec.event("loop_note", { message: `kept branches were not pruned: ${errorMessage(e)}` });
  }
}

/** The agent `loop.integrator` names, checked before anything is recorded. */
function integratorAgent(registry: AgentRegistry, name: string | undefined, configFile: string): AgentDefinition | undefined {
  if (name === undefined) return undefined;
  try {
    return registry.require(name);
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new UserError({ reason: "unknown_agent", file: configFile, field: "loop.integrator", message: `names an agent that cannot run: ${e.summary}`, fix: e.fix ?? `name an agent listed by \`viable agents\`` });
  }
}

/** The run's task row and its last event: finished (completed when every item passed), unless the disk refuses even that. */
async function finishRun(store: Store, runId: string, outcome: LoopOutcome, message: string, data: Record<string, unknown>): Promise<CommitFailed | undefined> {
  const success = outcome === "all_passed";
  try {
    await store.journal.commit({
      events: [
        { event_type: "loop_finished", task_id: runId, data: { outcome, message, ...data } },
        { event_type: success ? "task_completed" : "task_failed", task_id: runId, data: { success, outcome, summary: message } },
      ],
      changes: [{ type: "task_updated", id: runId, patch: { status: success ? "completed" : "failed", updated_at: store.timestamp(), failure_reason: success ? null : message, owner_pid: null } }],
    });
  } catch (e) {
    // A full disk: the run stays "in progress" and the next start reconciles it as interrupted.
    if (e instanceof CommitFailed) return e;
    throw e;
  }
  return undefined;
}

async function preflight(store: Store, config: ViableConfig, storedBranch: string | null, opts: LoopOptions): Promise<string> {
  const root = store.paths.root;
  const version = (await git(root, ["version"])).stdout.match(/(\d+)\.(\d+)/);
  if (!version || Number(version[1]) < 2 || (Number(version[1]) === 2 && Number(version[2]) < 38)) {
    throw new UserError({ reason: "bad_usage", message: `git ${version?.[0] ?? "(unknown version)"} is too old for the merge queue (it needs \`git merge-tree --write-tree\`, git 2.38 or newer)`, fix: "upgrade git, or set \"workspace\": {\"mode\": \"none\"} in .viable/config.json to run items in place without merging" });
  }
  if ((await git(root, ["var", "GIT_COMMITTER_IDENT"])).code !== 0) {
    throw new UserError({ reason: "bad_usage", message: "git has no identity to commit with (user.name and user.email are not set)", fix: "run `git config user.name \"...\"` and `git config user.email \"...\"` in the project" });
  }
  const branch = opts.branch ?? config.loop.integration_branch ?? (await currentBranch(root));
  if (branch === null) {
    throw new UserError({
      reason: "bad_usage", message: `HEAD is detached, so there is no branch to merge items into${storedBranch ? ` (earlier runs merged into ${storedBranch})` : ""}`, field: "loop.integration_branch",
      fix: `check out the branch items should merge into, or run \`viable loop --branch ${storedBranch ?? "NAME"}\``,
    });
  }
  // The branch checked out is where the user expects work to land; one that differs from where this
  // plan's earlier runs merged is theirs to choose, not ours to guess.
  if (opts.branch === undefined && config.loop.integration_branch === undefined && storedBranch !== null && storedBranch !== branch) {
    throw new UserError({
      reason: "bad_usage",
      message: `this plan's earlier runs merged into ${storedBranch}, but ${branch} is checked out now`,
      fix: `check out ${storedBranch} to go on there, or run \`viable loop --branch ${branch}\` to merge into ${branch} from now on (items that passed stay passed)`,
    });
  }
  if (storedBranch !== null && storedBranch !== branch) {
    // Items that passed stay passed, so their work must be on the new branch: else their
    // dependents would start without it.
    const missing: string[] = [];
    for (const [id, p] of await store.queries.passedItems()) {
      if (p.merged_commit !== null && !(await isAncestor(root, p.merged_commit, `refs/heads/${branch}`, { signal: opts.signal }))) missing.push(id);
    }
    if (missing.length > 0) {
      throw new UserError({
        reason: "bad_usage",
        message: `${branch} lacks the merged work of ${missing.length} passed item(s) (${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}), merged into ${storedBranch} by earlier runs`,
        fix: `merge ${storedBranch} into ${branch} first (\`git merge ${storedBranch}\` with ${branch} checked out), or check out ${storedBranch} to go on there`,
      });
    }
  }
  if ((await revParse(root, `refs/heads/${branch}`)) === null) {
    throw new UserError({ reason: "bad_usage", message: `the integration branch ${branch} does not exist (or has no commit)`, field: "loop.integration_branch", fix: `create it (git branch ${branch}) or set loop.integration_branch to an existing branch` });
  }
  if (!opts.allowDirty) {
    const dirty = await uncommittedPaths(root, [], { signal: opts.signal });
    if (dirty.length > 0) {
      throw new UserError({
        reason: "dirty_worktree",
        message: `the main worktree has uncommitted changes (${dirty.slice(0, 10).join(", ")}${dirty.length > 10 ? `, and ${dirty.length - 10} more` : ""}); merged items would be fast-forwarded over them`,
        file: root,
        fix: "commit or stash them first, or rerun with --allow-dirty (a merge that would overwrite them then stops the loop)",
      });
    }
  }
  return branch;
}

async function detectedTestCommand(root: string): Promise<string[]> {
  const tooling = await detectTooling(root);
  return tooling.commands.test ? [tooling.commands.test] : [];
}

function runtimeOf(item: PlanItem, deps: LoopDeps, config: ViableConfig): string {
  try {
    return allocateItem(item, deps.registry, config).steps[0]?.agent.runtime ?? config.defaults.runtime;
  } catch {
    return config.defaults.runtime;
  }
}

function blockedItems(items: readonly PlanItem[], scheduler: Scheduler | undefined): { id: ItemId; reason: string }[] {
  if (scheduler === undefined) return [];
  return items.filter((i) => scheduler.status(i.id) === "blocked").map((i) => ({ id: i.id, reason: scheduler.blockedReason(i.id) ?? "blocked" }));
}

/** The item's worktree, when it is still what the loop made. */
async function intactWorkspace(store: Store, itemId: ItemId, s: { branch: string | null; base_commit: string | null }): Promise<ItemWorkspace | null> {
  if (!s.branch || !s.base_commit) return null;
  const ws = { dir: itemWorktreeDir(store.paths, itemId), branch: s.branch, base: s.base_commit };
  try {
    await checkIntegrity(ws, AbortSignal.timeout(60_000));
    return ws;
  } catch {
    return null;
  }
}

function secondsSince(iso: string, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
