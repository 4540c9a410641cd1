// The plan loop's writes. Each state transition of an item is one journal entry — its event, the
// item's row, and the session rows it changes — staged with the journal, which commits it in order
// with whatever else happens in the same turn. The loop's view of statuses, attempts and blocked
// reasons is the scheduler's; the rest of an item's state (phase, branch, commits, last error) is
// kept here, and each write carries the whole row. Every item event says the item's status after
// it, so a reader of the stream can count items without asking the scheduler.

import type { LoopEventData } from "../../domain/loop-events.ts";
import type { ItemId } from "../../plan/plan.ts";
import type { Scheduler, SchedulerCounts } from "../../plan/scheduler.ts";
import type { Change } from "../../store/changes.ts";
import type { Journal } from "../../store/journal.ts";
import { EMPTY_ITEM_STATE, type ItemState, type SessionRecord } from "../../store/records.ts";

type ItemEventType = "item_started" | "item_status" | "item_verified" | "item_passed" | "item_failed" | "item_blocked" | "item_waiting" | "item_taken_over" | "item_handed_back" | "item_answered";

export class LoopRecorder {
  /** Merge races lost per item in this run: attempts that do not count. */
  readonly #uncounted = new Map<ItemId, number>();
  readonly runId: string;
  readonly #journal: Journal;
  readonly #now: () => Date;
  readonly #state: Map<ItemId, ItemState>;
  #scheduler: Scheduler | undefined;
  #session: number;

  constructor(opts: { journal: Journal; runId: string; now: () => Date; state: Map<ItemId, ItemState>; lastSession: number }) {
    this.#journal = opts.journal;
    this.runId = opts.runId;
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

  counts(): SchedulerCounts {
    const c = this.#scheduler?.counts();
    return c ?? { pending: 0, running: 0, passed: 0, blocked: 0, failed: 0, ready: 0 };
  }

  timestamp(): string {
    return this.#now().toISOString();
  }

  /**
   * One transition of an item: its event, its row as the scheduler and `patch` now have it, and any
   * further changes, committed together.
   */
  /**
   * The attempts of an item that count (toward `loop.max_attempts`, in its row): those it had,
   * less the merge races it lost in this run, which are not its failures.
   */
  countedAttempts(id: ItemId): number {
    return Math.max(0, (this.#scheduler?.attempts(id) ?? 0) - (this.#uncounted.get(id) ?? 0));
  }

  /** A lost merge race: the attempt it ended does not count. */
  uncount(id: ItemId): void {
    this.#uncounted.set(id, (this.#uncounted.get(id) ?? 0) + 1);
  }

  item<T extends ItemEventType>(id: ItemId, type: T, data: Omit<LoopEventData[T], "item">, patch: Partial<ItemState> = {}, extra: readonly Change[] = []): void {
    const scheduler = this.#scheduler;
    if (scheduler === undefined) throw new Error("LoopRecorder.item before attach()");
    const next: ItemState = { ...this.state(id), ...patch };
    this.#state.set(id, next);
    const status = scheduler.status(id);
    this.#journal.stage({
      event: { event_type: type, task_id: this.runId, data: { item: id, status, ...data } },
      changes: [
        ...extra,
        { type: "item_state", id, status, attempts: this.countedAttempts(id), blockedReason: status === "blocked" ? (scheduler.blockedReason(id) ?? null) : null, state: next, now: this.timestamp() },
      ],
    });
  }

  /**
   * An attempt stopped by an interruption: the item goes back to pending without the attempt
   * counting, and keeps its phase, so the next run knows what its worktree holds.
   */
  interrupted(id: ItemId, attempts: number, reason: string): void {
    const s = this.state(id);
    this.#journal.stage({
      event: { event_type: "item_status", task_id: this.runId, data: { item: id, status: "pending", phase: s.phase, reason } },
      changes: [{ type: "item_state", id, status: "pending", attempts: Math.max(0, attempts - 1), blockedReason: null, state: s, now: this.timestamp() }],
    });
  }

  /** An event of the run that changes no item row. */
  event<T extends "loop_started" | "loop_reconciled" | "loop_note" | "failure_streak" | "loop_paused" | "loop_resumed" | "item_candidate_finished" | "item_candidates_evaluated" | "item_shadow_compared" | "item_conflict_resolved">(type: T, data: LoopEventData[T]): void {
    this.#journal.stage({ event: { event_type: type, task_id: this.runId, data } });
  }

  /** Seed 004's session record for one attempt at an item. */
  session(s: Omit<SessionRecord, "session" | "timestamp" | "run_id">): SessionRecord {
    const record: SessionRecord = { ...s, session: ++this.#session, timestamp: this.timestamp(), run_id: this.runId };
    this.#journal.stage({ event: { event_type: "session_recorded", task_id: this.runId, data: { ...record } }, changes: [{ type: "session_recorded", session: record }] });
    return record;
  }

  /** Commits everything staged; for the end of the run. */
  flush(): Promise<void> {
    return this.#journal.flush();
  }
}

