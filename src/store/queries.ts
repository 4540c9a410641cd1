// The named queries: everything the engine, the use cases and the interfaces read, and the only
// way they read. Each returns a promise, so that a store on a server (Postgres) can answer the same
// calls; the SQLite store answers at once from the process's own read connection, which sees what
// the journal has committed (WAL).

import type { DatabaseSync } from "node:sqlite";
import type { LogEntry } from "../domain/events.ts";
import type { ViabilityMetrics } from "../domain/viability.ts";
import type { ItemId } from "../plan/plan.ts";
import { countEvents, iterateEvents, queryEvents, taskSummary, type LogQuery, type TaskSummary } from "./event-log.ts";
import { hasPlan, lastSessionNumber, passedItems, readPlan, readSessions, type StoredPlan } from "./plan-store.ts";
import type { AttemptRecord, KillSwitch, PassedItem, SessionRecord, TaskRecord, TaskStatus } from "./records.ts";
import { readKillSwitch, readMetrics } from "./settings.ts";
import {
  attemptsOfItem, attemptsOfTask, busyAgents, countTasks, fileVersions, getTask, latestTask, runningAttempts, taskAnalysis, taskIdsWithPrefix, tasksInProgress,
} from "./tasks.ts";

export interface Queries {
  task(id: string): Promise<TaskRecord | null>;
  /** Seed 001's current task: the most recently created. */
  latestTask(): Promise<TaskRecord | null>;
  tasksInProgress(): Promise<TaskRecord[]>;
  taskIdsWithPrefix(prefix: string): Promise<string[]>;
  taskCounts(): Promise<Record<TaskStatus, number>>;
  taskAnalysis(taskId: string): Promise<{ s3_allocation: unknown; s4_environment: unknown }>;
  runningAttempts(): Promise<AttemptRecord[]>;
  busyAgents(): Promise<string[]>;
  attemptsOfTask(taskId: string): Promise<AttemptRecord[]>;
  attemptsOfItem(itemId: string): Promise<AttemptRecord[]>;
  fileVersions(taskId: string): Promise<Map<string, { seq: number; hash: string; agent: string }[]>>;
  metrics(): Promise<ViabilityMetrics>;
  /** The kill switch when it is engaged, else null. */
  killSwitch(): Promise<KillSwitch | null>;
  events(q?: LogQuery): Promise<LogEntry[]>;
  /** Every entry matching, streamed in sequence order (an export of a large log never sits in memory). */
  eachEvent(q?: Pick<LogQuery, "taskId" | "sessionId" | "after">): AsyncIterable<LogEntry>;
  eventCount(): Promise<number>;
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

  task = async (id: string) => getTask(this.#db, id);
  latestTask = async () => latestTask(this.#db);
  tasksInProgress = async () => tasksInProgress(this.#db);
  taskIdsWithPrefix = async (prefix: string) => taskIdsWithPrefix(this.#db, prefix);
  taskCounts = async () => countTasks(this.#db);
  taskAnalysis = async (taskId: string) => taskAnalysis(this.#db, taskId);
  runningAttempts = async () => runningAttempts(this.#db);
  busyAgents = async () => busyAgents(this.#db);
  attemptsOfTask = async (taskId: string) => attemptsOfTask(this.#db, taskId);
  attemptsOfItem = async (itemId: string) => attemptsOfItem(this.#db, itemId);
  fileVersions = async (taskId: string) => fileVersions(this.#db, taskId);
  metrics = async () => readMetrics(this.#db, this.#file);
  killSwitch = async () => readKillSwitch(this.#db, this.#file);
  events = async (q: LogQuery = {}) => queryEvents(this.#db, q);
  eventCount = async () => countEvents(this.#db);
  taskSummary = async (taskId: string) => taskSummary(this.#db, taskId);
  hasPlan = async () => hasPlan(this.#db);
  plan = async () => readPlan(this.#db, this.#file);
  passedItems = async () => passedItems(this.#db);
  sessions = async () => readSessions(this.#db);
  lastSessionNumber = async () => lastSessionNumber(this.#db);

  async *eachEvent(q: Pick<LogQuery, "taskId" | "sessionId" | "after"> = {}): AsyncGenerator<LogEntry> {
    yield* iterateEvents(this.#db, q);
  }
}
