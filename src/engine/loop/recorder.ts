// The plan loop's writes. Each state transition of an item is one staged unit — its event, the
// item's row, and the attempt or session rows it changes — handed to the group committer, which
// commits it in order with whatever else happens in the same turn (see store/group-commit.ts). The
// loop's view of statuses, attempts and blocked reasons is the scheduler's; the rest of an item's
// state (phase, branch, commits, last error) is kept here, and each write carries the whole row.

import type { AttemptOutcome } from "../../domain/outcome.ts";
import type { EventType } from "../../domain/events.ts";
import type { ItemId } from "../../plan/plan.ts";
import type { Scheduler, SchedulerCounts } from "../../plan/scheduler.ts";
import type { GroupCommitter } from "../../store/group-commit.ts";
import {
  attemptFinishOp, attemptPidOp, attemptStartOp, EMPTY_ITEM_STATE, eventOp, itemStateOp, sessionOp,
  type ItemState, type SessionRecord, type SqlOp,
} from "../../store/plan-store.ts";

export class PlanRecorder {
  readonly runId: string;
  readonly #journal: GroupCommitter;
  readonly #sessionId: string;
  readonly #now: () => Date;
  readonly #state: Map<ItemId, ItemState>;
  #scheduler: Scheduler | undefined;
  #session: number;
  #attemptSeq = 0;

  constructor(opts: { journal: GroupCommitter; runId: string; sessionId: string; now: () => Date; state: Map<ItemId, ItemState>; lastSession: number }) {
    this.#journal = opts.journal;
    this.runId = opts.runId;
    this.#sessionId = opts.sessionId;
    this.#now = opts.now;
    this.#state = opts.state;
    this.#session = opts.lastSession;
  }

  attach(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  state(id: ItemId): ItemState {
    return this.#state.get(id) ?? EMPTY_ITEM_STATE;
  }

  /** Attempt ids are the run id and this sequence: the run id is their common marker prefix. */
  nextAttemptSeq(): number {
    return ++this.#attemptSeq;
  }

  counts(): SchedulerCounts {
    const c = this.#scheduler?.counts();
    return c ?? { pending: 0, running: 0, passed: 0, blocked: 0, failed: 0, ready: 0 };
  }

  timestamp(): string {
    return this.#now().toISOString();
  }

  /**
   * One transition of an item: its event, its row as the scheduler and `patch` now have it, and any
   * further rows, committed together.
   */
  item(id: ItemId, type: EventType, data: Record<string, unknown>, patch: Partial<ItemState> = {}, extra: readonly SqlOp[] = []): void {
    const scheduler = this.#scheduler;
    if (scheduler === undefined) throw new Error("PlanRecorder.item before attach()");
    const next: ItemState = { ...this.state(id), ...patch };
    this.#state.set(id, next);
    const now = this.timestamp();
    const status = scheduler.status(id);
    this.#journal.stage([
      ...extra,
      itemStateOp(id, status, scheduler.attempts(id), status === "blocked" ? (scheduler.blockedReason(id) ?? null) : null, next, now),
      eventOp({ timestamp: now, event_type: type, task_id: this.runId, agent: null, data: { item: id, status, ...data }, session_id: this.#sessionId }),
    ]);
  }

  /**
   * An attempt stopped by an interruption: the item goes back to pending without the attempt
   * counting, and keeps its phase, so the next run knows what its worktree holds.
   */
  interrupted(id: ItemId, attempts: number, reason: string): void {
    const now = this.timestamp();
    const s = this.state(id);
    this.#journal.stage([
      itemStateOp(id, "pending", Math.max(0, attempts - 1), null, s, now),
      eventOp({ timestamp: now, event_type: "item_status", task_id: this.runId, agent: null, data: { item: id, status: "pending", phase: s.phase, reason }, session_id: this.#sessionId }),
    ]);
  }

  /** An event that changes no item row (an agent's normalized event, a sweep). */
  event(type: EventType, data: Record<string, unknown>, agent: string | null = null, extra: readonly SqlOp[] = []): void {
    this.#journal.stage([...extra, eventOp({ timestamp: this.timestamp(), event_type: type, task_id: this.runId, agent, data, session_id: this.#sessionId })]);
  }

  attemptStarted(a: { id: string; item: ItemId; agent: string; runtime: string; attemptNo: number; prompt: string; model: string | null }): void {
    this.event("agent_invoked",
      { attempt_id: a.id, item: a.item, runtime: a.runtime, model: a.model, attempt: a.attemptNo, item_id: a.item, prompt: a.prompt.slice(0, 4000) },
      `s1-${a.agent}`,
      [attemptStartOp({ id: a.id, task_id: this.runId, item_id: a.item, agent: a.agent, runtime: a.runtime, attempt_no: a.attemptNo, started_at: this.timestamp(), transcript_path: null })]);
  }

  attemptPid(id: string, pid: number): void {
    this.#journal.stage([attemptPidOp(id, pid)]);
  }

  attemptFinished(a: { id: string; item: ItemId; agent: string; outcome: AttemptOutcome; transcript: string | null; eventsNotLogged: number }): void {
    const o = a.outcome;
    this.event(o.status === "succeeded" ? "agent_completed" : "agent_error", {
      attempt_id: a.id, item: a.item, success: o.status === "succeeded", status: o.status, summary: o.summary, error: o.error ?? null,
      exit_code: o.exitCode, signal: o.signal, duration_ms: o.durationMs, usage: o.usage, cost_usd: o.costUsd ?? null,
      session_id: o.sessionId ?? null, output_truncated: o.outputTruncated, events_not_logged: a.eventsNotLogged, transcript: a.transcript,
    }, `s1-${a.agent}`, [
      attemptFinishOp(a.id, o.status === "cancelled" ? "interrupted" : "finished", this.timestamp(), o),
      ...(a.transcript !== null ? [{ sql: "UPDATE attempts SET transcript_path = ? WHERE id = ?", params: [a.transcript, a.id] }] : []),
    ]);
  }

  /** Seed 004's session record for one attempt at an item; returns its number. */
  session(s: Omit<SessionRecord, "session" | "timestamp" | "run_id">): SessionRecord {
    const record: SessionRecord = { ...s, session: ++this.#session, timestamp: this.timestamp(), run_id: this.runId };
    this.event("session_recorded", { ...record }, null, [sessionOp(record)]);
    return record;
  }

  flush(): Promise<void> {
    return this.#journal.flush();
  }
}
