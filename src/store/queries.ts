// The named queries: everything the engine, the use cases and the interfaces read, and the only
// way they read. Each returns a promise, so that a store on a server (Postgres) can answer the same
// calls; the SQLite store answers at once from the process's own read connection, which sees what
// the journal has committed (WAL).

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { UserError } from "../domain/errors.ts";
import type { LogEntry } from "../domain/events.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import type { ItemId } from "../plan/plan.ts";
import { countEvents, itemEvents, iterateEvents, lastSeq, queryEvents, taskSummary, type LogQuery, type TaskSummary } from "./event-log.ts";
import { hasPlan, lastSessionNumber, passedItems, readPlan, readSessions, type StoredPlan } from "./plan-store.ts";
import { getApproval, latestTakeover, listApprovals } from "./approvals.ts";
import { costBreakdown, type CostBreakdown } from "./cost.ts";
import type { ApprovalRecord, ApprovalStatus, AttemptRecord, KillSwitch, PassedItem, ShadowSwitch, SessionRecord, TakeoverRecord, TaskRecord, TaskStatus } from "./records.ts";
import { sqliteDialect, type SqlReader, type SqlValue } from "./sql.ts";
import { readJournalEpoch, readKillSwitch, readMetrics, readShadowSwitch } from "./settings.ts";
import {
  attemptsOfItem, attemptsOfTask, busyAgents, runSpend, countTasks, fileVersions, getAttempt, getTask, latestTask, recentTasks, runningAttempts, taskAnalysis, taskIdsWithPrefix,
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
  /** Dollars and tokens the attempts of a plan loop's run spent, on every machine. */
  runSpend(runId: string): Promise<{ usd: number; tokens: number }>;
}

/**
 * The named queries over either database. `failed` turns what a read threw into what users see (a
 * damaged SQLite file, an unreachable Postgres): the file or server and the fix, not a stack trace.
 */
export class StoreQueries implements Queries {
  readonly #db: SqlReader;
  readonly #where: string;
  readonly #failed: (e: unknown) => unknown;

  /** `where`: the database file, or the server without its password — named in errors. */
  constructor(db: SqlReader, where: string, failed: (e: unknown) => unknown) {
    this.#db = db;
    this.#where = where;
    this.#failed = failed;
  }

  async #read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (e) {
      throw this.#failed(e);
    }
  }

  task = (id: string) => this.#read(() => getTask(this.#db, id));
  latestTask = () => this.#read(() => latestTask(this.#db));
  tasksInProgress = () => this.#read(() => tasksInProgress(this.#db));
  recentTasks = (limit: number) => this.#read(() => recentTasks(this.#db, limit));
  attempt = (id: string) => this.#read(() => getAttempt(this.#db, id));
  cost = () => this.#read(() => costBreakdown(this.#db));
  approvals = (status?: ApprovalStatus) => this.#read(() => listApprovals(this.#db, status));
  approval = (id: string) => this.#read(() => getApproval(this.#db, id));
  takeover = (itemId: string) => this.#read(() => latestTakeover(this.#db, itemId));
  taskIdsWithPrefix = (prefix: string) => this.#read(() => taskIdsWithPrefix(this.#db, prefix));
  taskCounts = () => this.#read(() => countTasks(this.#db));
  taskAnalysis = (taskId: string) => this.#read(() => taskAnalysis(this.#db, taskId));
  runningAttempts = () => this.#read(() => runningAttempts(this.#db));
  busyAgents = () => this.#read(() => busyAgents(this.#db));
  attemptsOfTask = (taskId: string) => this.#read(() => attemptsOfTask(this.#db, taskId));
  attemptsOfItem = (itemId: string) => this.#read(() => attemptsOfItem(this.#db, itemId));
  fileVersions = (taskId: string) => this.#read(() => fileVersions(this.#db, taskId));
  metrics = () => this.#read(() => readMetrics(this.#db, this.#where));
  killSwitch = () => this.#read(() => readKillSwitch(this.#db, this.#where));
  shadowSwitch = () => this.#read(() => readShadowSwitch(this.#db, this.#where));
  events = (q: LogQuery = {}) => this.#read(() => queryEvents(this.#db, q));
  eventCount = () => this.#read(() => countEvents(this.#db));
  lastSeq = () => this.#read(() => lastSeq(this.#db));
  journalEpoch = () => this.#read(() => readJournalEpoch(this.#db, this.#where));
  itemEvents = (itemId: string, limit: number) => this.#read(() => itemEvents(this.#db, itemId, limit));
  taskSummary = (taskId: string) => this.#read(() => taskSummary(this.#db, taskId));
  hasPlan = () => this.#read(() => hasPlan(this.#db));
  plan = () => this.#read(() => readPlan(this.#db, this.#where));
  passedItems = () => this.#read(() => passedItems(this.#db));
  sessions = () => this.#read(() => readSessions(this.#db));
  lastSessionNumber = () => this.#read(() => lastSessionNumber(this.#db));
  runSpend = (runId: string) => this.#read(() => runSpend(this.#db, runId));

  async *eachEvent(q: Pick<LogQuery, "taskId" | "sessionId" | "after"> = {}): AsyncGenerator<LogEntry> {
    try {
      yield* iterateEvents(this.#db, q);
    } catch (e) {
      throw this.#failed(e);
    }
  }
}

/** The SQLite store's queries: on the process's own read connection, answered at once. */
export function sqliteQueries(db: DatabaseSync, file: string): Queries {
  return new StoreQueries(sqliteReader(db), file, (e) => damagedOr(e, file));
}

/** Reads on a node:sqlite connection, each statement prepared once. */
export function sqliteReader(db: DatabaseSync): SqlReader {
  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (s === undefined) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  return {
    dialect: sqliteDialect,
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => prepared(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => prepared(sql).get(...params) as T | undefined,
  };
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
