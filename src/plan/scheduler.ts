// The incremental ready set for the plan loop. An item is ready when every dependency has passed
// (and the engine marks passed only after the merge, so dependents start from merged work). Ready
// items are dispatched by priority (lower first, as seed 004), then by the longest remaining
// critical path (so long chains start early), then by id, so runs are reproducible.
//
// Everything that does not change during a run is computed once: the dependency arrays, the
// critical paths (one pass in reverse topological order) and a total dispatch rank per item. The
// ready set is then one integer heap per concurrency key, and each status change touches only
// the item and its direct dependents: O((V + E) log V) over a whole run.

import { UserError } from "../domain/errors.ts";
import { criticalPaths, dispatchOrder, type Weights } from "./critical-path.ts";
import { buildDependencyGraph, topologicalOrder, type DependencyGraph } from "./dependency-graph.ts";
import { IntMinHeap } from "./int-heap.ts";
import type { ItemId, ItemStatus, Plan, PlanItem } from "./plan.ts";

export interface SchedulerOptions {
  /**
   * Each item's expected duration, in any unit (an estimate, or the history of similar items);
   * used for the critical path. Missing, negative or non-finite values count as 1.
   */
  weights?: Weights;
  /** Items running at once, over all keys. Default: no limit. */
  concurrency?: number;
  /** An item's concurrency key — typically its runtime. Keys should be few. Default: one key. */
  keyOf?: (item: PlanItem) => string;
  /** Items running at once per key; keys not listed are limited only by `concurrency`. */
  keyLimits?: Readonly<Record<string, number>>;
  /** The graph `validatePlan` built for this same plan, so it is not built twice. */
  graph?: DependencyGraph;
  /**
   * Dispatch items someone else has claimed (`item.claimed`; the CLI's `--include-claimed`).
   * Default: they are never ready, and their dependents wait for them like for any unfinished
   * item; `leftAlone()` lists them.
   */
  includeClaimed?: boolean;
}

const PENDING = 0;
const RUNNING = 1;
const PASSED = 2;
const BLOCKED = 3;
const FAILED = 4;
const STATUS_NAMES: readonly ItemStatus[] = ["pending", "running", "passed", "blocked", "failed"];
const STATUS_CODES: Readonly<Record<ItemStatus, number>> = { pending: PENDING, running: RUNNING, passed: PASSED, blocked: BLOCKED, failed: FAILED };

export type SchedulerCounts = Record<ItemStatus, number> & { ready: number };

export class Scheduler {
  readonly #plan: Plan;
  readonly #items: readonly PlanItem[];
  readonly #graph: DependencyGraph;
  readonly #status: Uint8Array;
  /** Dependencies not yet passed. */
  readonly #waiting: Int32Array;
  readonly #attempts: Int32Array;
  readonly #criticalPath: Float64Array;
  readonly #rank: Int32Array;
  readonly #byRank: Int32Array;
  readonly #inHeap: Uint8Array;
  readonly #key: Int32Array;
  readonly #keyLimit: number[] = [];
  readonly #keyRunning: number[] = [];
  readonly #heaps: IntMinHeap[] = [];
  readonly #reasons = new Map<number, string>();
  readonly #counts = new Int32Array(STATUS_NAMES.length);
  /** 1 for claimed items left alone: never ready. */
  readonly #claimed: Uint8Array;
  readonly #concurrency: number;
  /** Items to dispatch before any other ready one, oldest first (see `retry`). */
  readonly #first: number[] = [];
  #ready = 0;

  constructor(plan: Plan, options: SchedulerOptions = {}) {
    this.#plan = plan;
    const items = (this.#items = plan.items);
    const n = items.length;
    const graph = (this.#graph = options.graph?.size === n ? options.graph : buildDependencyGraph(items).graph);
    const order = graph.complete ? topologicalOrder(graph) : undefined;
    if (order === undefined) {
      throw new UserError({
        reason: "bad_plan",
        message: "the plan cannot be scheduled: it has duplicate ids, unknown or self-dependencies, or a dependency cycle",
        file: plan.source.file,
        fix: "run `viable plan validate` to see each problem and where it is",
      });
    }

    this.#concurrency = positiveLimit(options.concurrency);
    this.#status = new Uint8Array(n);
    this.#waiting = new Int32Array(n);
    this.#attempts = new Int32Array(n);
    this.#inHeap = new Uint8Array(n);
    this.#key = new Int32Array(n);
    this.#claimed = new Uint8Array(n);
    const keyIndex = new Map<string, number>();
    const keySize: number[] = [];
    for (let i = 0; i < n; i++) {
      const item = items[i] as PlanItem;
      // A "running" item in a loaded plan has no process in this run; the engine reconciles it.
      const code = STATUS_CODES[item.status];
      this.#status[i] = code === RUNNING ? PENDING : code;
      this.#attempts[i] = item.attempts;
      if (item.status === "blocked") this.#reasons.set(i, item.blocked_reason ?? "blocked");
      if (item.claimed !== undefined && options.includeClaimed !== true) this.#claimed[i] = 1;
      const key = options.keyOf?.(item) ?? "";
      let k = keyIndex.get(key);
      if (k === undefined) {
        k = keyIndex.size;
        keyIndex.set(key, k);
        this.#keyLimit.push(positiveLimit(options.keyLimits?.[key]));
        this.#keyRunning.push(0);
        keySize.push(0);
      }
      this.#key[i] = k;
      keySize[k]! += 1;
    }
    // An item is in its key's heap at most once, so each heap needs room for its key's items.
    for (const size of keySize) this.#heaps.push(new IntMinHeap(size));
    for (let i = 0; i < n; i++) {
      let waiting = 0;
      for (let e = graph.depStart[i] as number; e < (graph.depStart[i + 1] as number); e++) {
        if (this.#status[graph.depTarget[e] as number] !== PASSED) waiting++;
      }
      this.#waiting[i] = waiting;
    }
    for (let i = 0; i < n; i++) {
      this.#counts[this.#status[i] as number]! += 1;
      if (this.#isReady(i)) this.#ready++;
    }
    for (let i = 0; i < n; i++) if (this.#status[i] === BLOCKED) this.#propagateBlocked(i);

    this.#criticalPath = criticalPaths(graph, order, items, options.weights);
    this.#rank = new Int32Array(n);
    this.#byRank = dispatchOrder(items, this.#criticalPath);
    for (let r = 0; r < n; r++) this.#rank[this.#byRank[r] as number] = r;
    for (let i = 0; i < n; i++) this.#enqueueIfReady(i);
  }

  /** Ready items not yet taken, in dispatch order; limits are not applied. */
  ready(): ItemId[] {
    const ranks: number[] = [];
    for (const heap of this.#heaps) for (const r of heap.values()) if (this.#isReady(this.#byRank[r] as number)) ranks.push(r);
    return ranks.sort((a, b) => a - b).map((r) => this.#id(this.#byRank[r] as number));
  }

  /**
   * Takes up to `max` ready items for dispatch, best first, within the global and per-key
   * limits, and marks them running. Items `filter` rejects stay ready for a later call.
   */
  take(max = Infinity, filter?: (item: PlanItem) => boolean): ItemId[] {
    const out: ItemId[] = [];
    const rejected: number[] = [];
    while (out.length < max && this.#counts[RUNNING]! < this.#concurrency) {
      const first = this.#takeFirst(filter);
      if (first !== undefined) {
        out.push(this.#id(first));
        continue;
      }
      let best = -1;
      let bestRank = Infinity;
      for (let k = 0; k < this.#heaps.length; k++) {
        if (this.#keyRunning[k]! >= this.#keyLimit[k]!) continue;
        const top = this.#peekReady(k);
        if (top !== undefined && top < bestRank) {
          best = k;
          bestRank = top;
        }
      }
      if (best < 0) break;
      this.#heaps[best]!.pop();
      const i = this.#byRank[bestRank] as number;
      if (filter !== undefined && !filter(this.#items[i] as PlanItem)) {
        rejected.push(bestRank);
        continue;
      }
      this.#inHeap[i] = 0;
      this.#setStatus(i, RUNNING);
      this.#attempts[i]! += 1;
      this.#keyRunning[best]! += 1;
      out.push(this.#id(i));
    }
    for (const r of rejected) this.#heaps[this.#key[this.#byRank[r] as number] as number]!.push(r);
    return out;
  }

  /**
   * The oldest item given precedence that is ready, its key has room and `filter` accepts; it is
   * marked running. (Its heap entry is left behind: a stale entry is dropped when it comes up.)
   */
  #takeFirst(filter: ((item: PlanItem) => boolean) | undefined): number | undefined {
    for (let n = 0; n < this.#first.length; n++) {
      const i = this.#first[n]!;
      if (!this.#isReady(i)) {
        // Blocked or taken meanwhile: its precedence is spent.
        if (this.#status[i] !== PENDING) this.#first.splice(n--, 1);
        continue;
      }
      const k = this.#key[i] as number;
      if (this.#keyRunning[k]! >= this.#keyLimit[k]! || (filter !== undefined && !filter(this.#items[i] as PlanItem))) continue;
      this.#first.splice(n, 1);
      this.#setStatus(i, RUNNING);
      this.#attempts[i]! += 1;
      this.#keyRunning[k]! += 1;
      return i;
    }
    return undefined;
  }

  /** The item passed (verified and merged): its dependents may become ready. */
  markPassed(id: ItemId): void {
    const i = this.#index(id);
    const s = this.#status[i] as number;
    if (s === PASSED) return;
    if (s === BLOCKED) throw new Error(`cannot pass blocked item ${id}`);
    this.#leave(i);
    this.#setStatus(i, PASSED);
    const g = this.#graph;
    for (let e = g.dependentStart[i] as number; e < (g.dependentStart[i + 1] as number); e++) {
      const d = g.dependentSource[e] as number;
      this.#waiting[d]! -= 1;
      if (this.#isReady(d)) {
        this.#ready++;
        this.#enqueueIfReady(d);
      }
    }
  }

  /** The attempt failed; the item waits for `retry` (or `markBlocked` once attempts run out). */
  markFailed(id: ItemId): void {
    const i = this.#index(id);
    const s = this.#status[i] as number;
    if (s === PASSED || s === BLOCKED) throw new Error(`cannot fail ${STATUS_NAMES[s]} item ${id}`);
    this.#leave(i);
    this.#setStatus(i, FAILED);
  }

  /**
   * Makes a failed (or interrupted running) item pending again; ready if its dependencies passed.
   * `first`: it goes before every other ready item at the next dispatch (an item that lost a
   * merge race is not starved by a stream of faster ones).
   */
  retry(id: ItemId, options: { first?: boolean } = {}): void {
    const i = this.#index(id);
    const s = this.#status[i] as number;
    if (s !== FAILED && s !== RUNNING) throw new Error(`cannot retry ${STATUS_NAMES[s]} item ${id}`);
    this.#leave(i);
    this.#setStatus(i, PENDING);
    this.#enqueueIfReady(i);
    if (options.first === true && !this.#first.includes(i)) this.#first.push(i);
  }

  /**
   * Blocks the item, and every item that depends on it directly or not ("blocked by <id>").
   * Returns the dependents newly blocked, in plan order.
   */
  markBlocked(id: ItemId, reason: string): ItemId[] {
    const i = this.#index(id);
    const s = this.#status[i] as number;
    if (s === PASSED) throw new Error(`cannot block passed item ${id}`);
    if (s === BLOCKED) return [];
    this.#leave(i);
    this.#setStatus(i, BLOCKED);
    this.#reasons.set(i, reason);
    return this.#propagateBlocked(i)
      .sort((a, b) => a - b)
      .map((d) => this.#id(d));
  }

  status(id: ItemId): ItemStatus {
    return STATUS_NAMES[this.#status[this.#index(id)] as number] as ItemStatus;
  }

  blockedReason(id: ItemId): string | undefined {
    return this.#reasons.get(this.#index(id));
  }

  attempts(id: ItemId): number {
    return this.#attempts[this.#index(id)] as number;
  }

  /** The item's weight plus the heaviest chain of dependents after it. */
  criticalPath(id: ItemId): number {
    return this.#criticalPath[this.#index(id)] as number;
  }

  running(): ItemId[] {
    const out: ItemId[] = [];
    for (let i = 0; i < this.#items.length; i++) if (this.#status[i] === RUNNING) out.push(this.#id(i));
    return out;
  }

  /**
   * Claimed items the scheduler leaves alone that have not passed or been blocked, in plan
   * order: what the loop reports as "left alone" (their dependents wait too).
   */
  leftAlone(): ItemId[] {
    const out: ItemId[] = [];
    for (let i = 0; i < this.#items.length; i++) {
      const s = this.#status[i];
      if (this.#claimed[i] === 1 && s !== PASSED && s !== BLOCKED) out.push(this.#id(i));
    }
    return out;
  }

  /** Items still to do: pending, running or failed. */
  remaining(): number {
    return this.#counts[PENDING]! + this.#counts[RUNNING]! + this.#counts[FAILED]!;
  }

  counts(): SchedulerCounts {
    const c = this.#counts;
    return { pending: c[PENDING]!, running: c[RUNNING]!, passed: c[PASSED]!, blocked: c[BLOCKED]!, failed: c[FAILED]!, ready: this.#ready };
  }

  /**
   * Nothing is running and nothing is ready: every item has passed or is blocked, or what is
   * left waits on failed items that nobody retries.
   */
  done(): boolean {
    return this.#counts[RUNNING] === 0 && this.#ready === 0;
  }

  /** The plan with the current statuses, attempts and reasons, for persisting or exporting. */
  snapshot(): Plan {
    const items = this.#items.map((item, i): PlanItem => {
      const out: PlanItem = { ...item, status: STATUS_NAMES[this.#status[i] as number] as ItemStatus, attempts: this.#attempts[i] as number };
      const reason = this.#reasons.get(i);
      if (reason !== undefined && out.status === "blocked") out.blocked_reason = reason;
      else delete out.blocked_reason;
      return out;
    });
    return { ...this.#plan, items };
  }

  #index(id: ItemId): number {
    const i = this.#graph.indexOf.get(id);
    if (i === undefined) throw new UserError({ reason: "not_found", message: `no item "${id}" in the plan`, file: this.#plan.source.file });
    return i;
  }

  #id(i: number): ItemId {
    return (this.#items[i] as PlanItem).id;
  }

  #isReady(i: number): boolean {
    return this.#status[i] === PENDING && this.#waiting[i] === 0 && this.#claimed[i] === 0;
  }

  /**
   * Puts a ready item in its key's heap. An entry already there is reused: entries are dropped
   * lazily when they come to the top, so one may still be waiting from an earlier ready spell.
   */
  #enqueueIfReady(i: number): void {
    if (!this.#isReady(i) || this.#inHeap[i] === 1) return;
    this.#inHeap[i] = 1;
    this.#heaps[this.#key[i] as number]!.push(this.#rank[i] as number);
  }

  /** The best rank in heap `k` that is still ready, dropping stale entries (blocked meanwhile). */
  #peekReady(k: number): number | undefined {
    const heap = this.#heaps[k]!;
    for (let r = heap.peek(); r !== undefined; r = heap.peek()) {
      const i = this.#byRank[r] as number;
      if (this.#isReady(i)) return r;
      heap.pop();
      this.#inHeap[i] = 0;
    }
    return undefined;
  }

  /** Releases the item's running slot, before its status changes. */
  #leave(i: number): void {
    if (this.#status[i] === RUNNING) this.#keyRunning[this.#key[i] as number]! -= 1;
  }

  /** Changes a status, keeping the per-status counts and the ready count exact. */
  #setStatus(i: number, s: number): void {
    const wasReady = this.#isReady(i);
    this.#counts[this.#status[i] as number]! -= 1;
    this.#counts[s]! += 1;
    this.#status[i] = s;
    this.#ready += Number(this.#isReady(i)) - Number(wasReady);
  }

  /** Blocks everything downstream of `root` that has not passed; returns what it blocked. */
  #propagateBlocked(root: number): number[] {
    const g = this.#graph;
    const reason = `blocked by ${this.#id(root)}`;
    const blocked: number[] = [];
    const queue = [root];
    for (let head = 0; head < queue.length; head++) {
      const b = queue[head] as number;
      for (let e = g.dependentStart[b] as number; e < (g.dependentStart[b + 1] as number); e++) {
        const d = g.dependentSource[e] as number;
        const s = this.#status[d] as number;
        if (s === PASSED || s === BLOCKED) continue;
        this.#leave(d);
        this.#setStatus(d, BLOCKED);
        this.#reasons.set(d, reason);
        blocked.push(d);
        queue.push(d);
      }
    }
    return blocked;
  }
}

function positiveLimit(v: number | undefined): number {
  return v === undefined || !(v >= 0) ? Infinity : Math.floor(v);
}
