// `viable log`: the execution log — most recent N (seed default 20), by task or session, the whole
// log as JSONL for export, or one task's summary.

import { readLog, streamLog, taskSummary } from "../../app/log.ts";
import type { LogEntry } from "../../domain/events.ts";
import { toJsonl } from "../../app/log.ts";
import { configWarnings } from "../../app/project.ts";
import { printJson, type Output } from "../output.ts";

export interface LogArgs {
  dir: string;
  count?: number;
  task?: string;
  session?: string;
  all: boolean;
  json: boolean;
  jsonl: boolean;
  summary: boolean;
}

export async function logCommand(args: LogArgs, o: Output): Promise<number> {
  for (const w of await configWarnings(args.dir)) o.err(`viable: ${w}`);
  if (args.summary) {
    if (args.task === undefined) {
      o.err("viable log --summary needs --task ID\n  fix: pass the task id shown by `viable run` or `viable state`");
      return 2;
    }
    const s = await taskSummary(args.dir, args.task);
    if (args.json) printJson(o, s);
    else o.out(Object.entries(s).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join("\n"));
    return 0;
  }
  const filter = { ...(args.task !== undefined ? { taskId: args.task } : {}), ...(args.session !== undefined ? { sessionId: args.session } : {}) };
  if (args.jsonl) {
    // Streamed: an export of a large log never sits in memory.
    const chunk: string[] = [];
    await streamLog(args.dir, filter, (e) => {
      chunk.push(toJsonl(e));
      if (chunk.length >= 1000) o.out(chunk.splice(0).join("\n"));
    });
    if (chunk.length) o.out(chunk.join("\n"));
    return 0;
  }
  const last = args.all ? undefined : args.count ?? (args.task !== undefined || args.session !== undefined ? undefined : 20);
  const entries = await readLog(args.dir, { ...filter, ...(last !== undefined ? { last } : {}) });
  if (args.json) printJson(o, entries.map(({ id: _id, ...rest }) => rest));
  else o.out(entries.length ? entries.map(renderEntry).join("\n") : "(no log entries)");
  return 0;
}

function renderEntry(e: LogEntry): string {
  const data = JSON.stringify(e.data);
  const short = data.length > 160 ? `${data.slice(0, 157)}...` : data;
  return `${e.timestamp} ${e.event_type.padEnd(20)} ${(e.task_id ?? "-").padEnd(8)} ${(e.agent ?? "-").padEnd(18)} ${short}`;
}
