// The named queries: everything the engine, the use cases and the interfaces read, and the only
// way they read. Each returns a promise, so that a store on a server (Postgres) can answer the same
// calls; the SQLite store answers at once from the process's own read connection, which sees what
// the journal has committed (WAL).

import type { DatabaseSync } from "node:sqlite";
import { UserError } from "../domain/errors.ts";
import type { LogEntry } from "../domain/events.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import type { ItemId } from "../plan/plan.ts";
import { countEvents, itemEvents, iterateEvents, lastSeq, queryEvents, taskSummary, type LogQuery, type TaskSummary } from "./event-log.ts";
import { hasPlan, lastSessionNumber, passedItems, readPlan, readSessions, type StoredPlan } from "./plan-store.ts";
import { getApproval, latestTakeover, listApprovals } from "./approvals.ts";
import { costBreakdown, type CostBreakdown } from "./cost.ts";
import type { ApprovalRecord, ApprovalStatus, AttemptRecord, KillSwitch, PassedItem, ShadowSwitch, SessionRecord, TakeoverRecord, TaskRecord, TaskStatus } from "./records.ts";
import { readJournalEpoch, readKillSwitch, readMetrics, readShadowSwitch } from "./settings.ts";
import {
  attemptsOfItem, attemptsOfTask, busyAgents, countTasks, fileVersions, getAttempt, getTask, latestTask, recentTasks, runningAttempts, taskAnalysis, taskIdsWithPrefix,
  tasksInProgress,
} from "./tasks.ts";

export interface Queries {
  task(id: string): Promise<TaskRecord | null>;
  /** Seed 001's current task: the most recently created. */
  latestTask(): Promise<TaskRecord | null>;
  tasksInProgress(): Promise<TaskRecord[]>;
  /** The newest `limit` tasks, newest first. */
  recentTasks(limit: number): Promise<TaskRecord[]>;
  taskIdsWithPrefix(prefix: string): Promise<string[]>;
  taskCounts(): Promise<Record<TaskStatus, number>>;
  taskAnalysis(taskId: string): Promise<{ s3_allocation: unknown; s4_environment: unknown }>;
  runningAttempts(): Promise<AttemptRecord[]>;
  busyAgents(): Promise<string[]>;
  attemptsOfTask(taskId: string): Promise<AttemptRecord[]>;
  attemptsOfItem(itemId: string): Promise<AttemptRecord[]>;
  attempt(id: string): Promise<AttemptRecord | null>;
  cost(): Promise<CostBreakdown>;
  /** The newest 500, newest first; only those of `status` when given. */
  approvals(status?: ApprovalStatus): Promise<ApprovalRecord[]>;
  approval(id: string): Promise<ApprovalRecord | null>;
  /** The item's newest take-over (`viable attach`), if any. */
  takeover(itemId: string): Promise<TakeoverRecord | null>;
  fileVersions(taskId: string): Promise<Map<string, { seq: number; hash: string; agent: string }[]>>;
  metrics(): Promise<ViabilityMetrics>;
  /** The kill switch when it is engaged, else null. */
  killSwitch(): Promise<KillSwitch | null>;
  /** `viable shadow off` in force (null: shadows may run). */
  shadowSwitch(): Promise<ShadowSwitch | null>;
  events(q?: LogQuery): Promise<LogEntry[]>;
  /** Every entry matching, streamed in sequence order (an export of a large log never sits in memory). */
  eachEvent(q?: Pick<LogQuery, "taskId" | "sessionId" | "after">): AsyncIterable<LogEntry>;
  eventCount(): Promise<number>;
  /** The newest `limit` events the plan loop recorded about an item, oldest first. */
  itemEvents(itemId: string, limit: number): Promise<LogEntry[]>;
  /** The sequence number of the newest event committed (0 when there is none). */
  lastSeq(): Promise<number>;
  /** Changes at every `viable reset` (see JOURNAL_EPOCH_KEY). */
  journalEpoch(): Promise<string>;
  taskSummary(taskId: string): Promise<TaskSummary>;
  hasPlan(): Promise<boolean>;
  plan(): Promise<StoredPlan | null>;
  passedItems(): Promise<Map<ItemId, PassedItem>>;
  sessions(): Promise<SessionRecord[]>;
  lastSessionNumber(): Promise<number>;
}

export class SqliteQueries implements Queries {
  readonly #db: DatabaseSync;
  readonly #file: string;

  constructor(db: DatabaseSync, file: string) {
    this.#db = db;
    this.#file = file;
  }

  /** A damaged page shows only when a query reads it: said as the file and the fix, not a stack trace. */
  #read<T>(query: () => T): T {
    try {
      return query();
    } catch (e) {
      throw damagedOr(e, this.#file);
    }
  }

  task = async (id: string) => this.#read(() => getTask(this.#db, id));
  latestTask = async () => this.#read(() => latestTask(this.#db));
  tasksInProgress = async () => this.#read(() => tasksInProgress(this.#db));
  recentTasks = async (limit: number) => this.#read(() => recentTasks(this.#db, limit));
  attempt = async (id: string) => this.#read(() => getAttempt(this.#db, id));
  cost = async () => this.#read(() => costBreakdown(this.#db));
  approvals = async (status?: ApprovalStatus) => this.#read(() => listApprovals(this.#db, status));
  approval = async (id: string) => this.#read(() => getApproval(this.#db, id));
  takeover = async (itemId: string) => this.#read(() => latestTakeover(this.#db, itemId));
  taskIdsWithPrefix = async (prefix: string) => this.#read(() => taskIdsWithPrefix(this.#db, prefix));
  taskCounts = async () => this.#read(() => countTasks(this.#db));
  taskAnalysis = async (taskId: string) => this.#read(() => taskAnalysis(this.#db, taskId));
  runningAttempts = async () => this.#read(() => runningAttempts(this.#db));
  busyAgents = async () => this.#read(() => busyAgents(this.#db));
  attemptsOfTask = async (taskId: string) => this.#read(() => attemptsOfTask(this.#db, taskId));
  attemptsOfItem = async (itemId: string) => this.#read(() => attemptsOfItem(this.#db, itemId));
  fileVersions = async (taskId: string) => this.#read(() => fileVersions(this.#db, taskId));
  metrics = async () => this.#read(() => readMetrics(this.#db, this.#file));
  killSwitch = async () => this.#read(() => readKillSwitch(this.#db, this.#file));
  shadowSwitch = async () => this.#read(() => readShadowSwitch(this.#db, this.#file));
  events = async (q: LogQuery = {}) => this.#read(() => queryEvents(this.#db, q));
  eventCount = async () => this.#read(() => countEvents(this.#db));
  lastSeq = async () => this.#read(() => lastSeq(this.#db));
  journalEpoch = async () => this.#read(() => readJournalEpoch(this.#db, this.#file));
  itemEvents = async (itemId: string, limit: number) => this.#read(() => itemEvents(this.#db, itemId, limit));
  taskSummary = async (taskId: string) => this.#read(() => taskSummary(this.#db, taskId));
  hasPlan = async () => this.#read(() => hasPlan(this.#db));
  plan = async () => this.#read(() => readPlan(this.#db, this.#file));
  passedItems = async () => this.#read(() => passedItems(this.#db));
  sessions = async () => this.#read(() => readSessions(this.#db));
  lastSessionNumber = async () => this.#read(() => lastSessionNumber(this.#db));

  async *eachEvent(q: Pick<LogQuery, "taskId" | "sessionId" | "after"> = {}): AsyncGenerator<LogEntry> {
    try {
      yield* iterateEvents(this.#db, q);
    } catch (e) {
      throw damagedOr(e, this.#file);
    }
  }
}

/** SQLITE_CORRUPT (11) and SQLITE_NOTADB (26) become the store_damaged error; anything else is itself. */
function damagedOr(e: unknown, file: string): unknown {
  const errcode = (e as { errcode?: number }).errcode;
  if (errcode !== 11 && errcode !== 26) return e;
  return new UserError({
    reason: "store_damaged", file, message: `is damaged: ${e instanceof Error ? e.message : String(e)}`,
    fix: "restore the file from a backup, or move it away (Viable starts a new one; the project's files and git history are not affected)",
  });
}
