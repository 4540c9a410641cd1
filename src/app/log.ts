// Use cases behind `viable log`: the execution log — most recent N, by task or session, the whole
// log streamed for export, or one task's summary.

import type { LogEntry } from "../domain/events.ts";
import type { LogQuery, TaskSummary } from "../store/event-log.ts";

/** One entry as a JSON line in seed 001's field order. */
export { toJsonl } from "../store/event-log.ts";
import { withProject } from "./project.ts";

export type { LogQuery, TaskSummary };

export async function readLog(dir: string, q: LogQuery): Promise<LogEntry[]> {
  return withProject(dir, { writer: false, command: "log" }, (p) => p.store.queries.events(q));
}

/** Every entry matching `q`, handed to `each` in order without loading the log into memory. */
export async function streamLog(dir: string, q: Pick<LogQuery, "taskId" | "sessionId" | "after">, each: (e: LogEntry) => void): Promise<void> {
  await withProject(dir, { writer: false, command: "log" }, async (p) => {
    for await (const e of p.store.queries.eachEvent(q)) each(e);
  });
}

export async function taskSummary(dir: string, taskId: string): Promise<TaskSummary> {
  return withProject(dir, { writer: false, command: "log" }, (p) => p.store.queries.taskSummary(taskId));
}
