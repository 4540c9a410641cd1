// Work started from outside a terminal (the dashboard, an MCP client): a `viable loop` or `viable
// run` as a process of its own, exactly what a person would start in a terminal — it takes the
// writer lock, records everything in the journal, and outlives whatever started it (its own process
// group, not a child a Ctrl-C of the server would take along). Stopping a loop asks it to stop as
// SIGTERM does.
//
// A job is known by the journal, not by the process that started it: its start and its end are
// control actions (with where they came from, and the end with the tail of its output — a loop that
// refuses to start says why), so any server or MCP session can tell its state, even after the one
// that started it is gone. A task's text goes in on stdin (`viable run -`): no length limit, and
// never read as an option.

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { noPlanImported, UserError } from "../domain/errors.ts";
import type { LogEntry } from "../domain/events.ts";
import { processStartTime, workingHolder } from "../store/writer-lock.ts";
import type { Project } from "./project.ts";

/** The CLI, next to this module's package (the same from src/ and dist/). */
export const VIABLE_BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "viable.js");

export interface Job {
  id: string;
  kind: "loop" | "task";
  /** Where it was started from: "dashboard", "mcp". */
  source: string;
  pid: number | null;
  args: string[];
  started_at: string;
  /** running: its process is alive; ended: it exited (exit_code when its starter saw it end). */
  state: "running" | "ended";
  ended_at: string | null;
  exit_code: number | null;
  /** The end of its output (stdout and stderr). */
  output_tail: string;
}

export interface JobRequest {
  kind: "loop" | "task";
  /** Options after the command, e.g. ["--concurrency", "2"] or ["--auto-approve"]. */
  args: string[];
  /** A task's text. */
  input?: string;
  source: string;
}

/** `viable loop`, with this many agents at once when given. */
export function loopJob(concurrency: number | undefined, source: string): JobRequest {
  return { kind: "loop", args: concurrency !== undefined ? ["--concurrency", String(concurrency)] : [], source };
}

/** `viable run` of this task. */
export function taskJob(task: string, autoApprove: boolean, source: string): JobRequest {
  return { kind: "task", args: autoApprove ? ["--auto-approve"] : [], input: task, source };
}

/** Output kept in a job's end record: enough for the error a command printed. */
const LOG_TAIL_BYTES = 2000;

export async function startJob(p: Project, r: JobRequest): Promise<Job> {
  const kill = await p.store.queries.killSwitch();
  if (kill) throw new UserError({ reason: "kill_switch", message: `the kill switch is engaged (since ${kill.since}: ${kill.reason}); nothing new starts`, fix: "release the kill switch first" });
  if (r.kind === "loop" && !(await p.store.queries.hasPlan())) {
    throw noPlanImported();
  }
  const holder = workingHolder(p.paths.lockFile);
  if (holder) {
    throw new UserError({
      reason: "store_locked", file: p.paths.lockFile,
      message: `another Viable process (pid ${holder.pid}, \`viable ${holder.command}\`) is working on this project`,
      fix: holder.command === "loop" ? "wait for the loop to finish, or stop it first" : "wait for it to finish",
    });
  }
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
  const log = logFile(p, id);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, "a");
  const command = r.kind === "loop" ? "loop" : "run";
  let child;
  try {
    child = spawn(process.execPath, [VIABLE_BIN, command, ...r.args, ...(r.input !== undefined ? ["-"] : []), "-d", p.paths.root], {
      cwd: p.paths.root, detached: true, stdio: [r.input !== undefined ? "pipe" : "ignore", out, out], env: process.env,
    });
  } finally {
    fs.closeSync(out);
  }
  if (r.input !== undefined) {
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(r.input);
  }
  const pid = child.pid ?? null;
  const args = [command, ...r.args];
  child.on("error", () => undefined);
  child.on("exit", (code, signal) => {
    void p.store.journal.commit({
      event: { event_type: "control_action", data: { action: "job_ended", job: id, kind: r.kind, exit_code: code ?? (signal ? 128 : null), output_tail: logTail(log) } },
    }).catch(() => undefined);
  });
  child.unref();
  const [started] = await p.store.journal.commit({
    event: { event_type: "control_action", data: { action: r.kind === "loop" ? "start_loop" : "run_task", source: r.source, pid, start: pid ? processStartTime(pid) : null, job: id, kind: r.kind, args } },
  });
  return jobOf(p, started!, undefined);
}

/** The jobs started in this project, newest first (the last 100). */
export async function listJobs(p: Project): Promise<Job[]> {
  const actions = await p.store.queries.events({ eventType: "control_action", last: 1000 });
  const ends = new Map(actions.filter((e) => e.data.action === "job_ended").map((e) => [e.data.job as string, e]));
  return actions.filter((e) => typeof e.data.job === "string" && e.data.action !== "job_ended").reverse().slice(0, 100).map((e) => jobOf(p, e, ends.get(e.data.job as string)));
}

export async function jobStatus(p: Project, id: string): Promise<Job> {
  const actions = await p.store.queries.events({ eventType: "control_action", last: 1000 });
  const started = actions.find((e) => e.data.job === id && e.data.action !== "job_ended");
  if (!started) throw new UserError({ reason: "not_found", field: "job", message: `this project has no job "${id}"`, fix: "use the id the start returned" });
  const job = jobOf(p, started, actions.find((e) => e.data.job === id && e.data.action === "job_ended"));
  // Its end not recorded by its starter (gone before it ended, or just about to record it): the
  // run's own record says how it went — a task's status, a loop's outcome (interrupted: 130).
  if (job.state === "ended" && job.exit_code === null) {
    const ran = (await p.store.queries.events({ eventType: "task_started", after: started.id, limit: 50 })).find((e) => e.data.pid === job.pid);
    const task = ran?.task_id ? await p.store.queries.task(ran.task_id) : null;
    if (task) {
      const interrupted = task.status === "failed" && job.kind === "loop" && (await p.store.queries.events({ eventType: "task_failed", taskId: task.id })).some((e) => e.data.outcome === "interrupted");
      return { ...job, exit_code: task.status === "completed" ? 0 : interrupted ? 130 : task.status === "failed" ? 1 : null };
    }
  }
  return job;
}

function jobOf(p: Project, started: LogEntry, ended: LogEntry | undefined): Job {
  const d = started.data;
  const id = d.job as string;
  const pid = typeof d.pid === "number" ? d.pid : null;
  // Alive means the same process: a pid since reused by another is not the job.
  const alive = !ended && pid !== null && processStartTime(pid) !== null && (d.start == null || processStartTime(pid) === d.start);
  return {
    id, kind: d.kind === "task" || d.action === "run_task" ? "task" : "loop", source: typeof d.source === "string" ? d.source : "unknown", pid, args: Array.isArray(d.args) ? (d.args as string[]) : [],
    started_at: started.timestamp, state: alive ? "running" : "ended", ended_at: ended?.timestamp ?? null,
    exit_code: typeof ended?.data.exit_code === "number" ? ended.data.exit_code : null,
    output_tail: typeof ended?.data.output_tail === "string" ? ended.data.output_tail : logTail(logFile(p, id)),
  };
}

/** Asks the running loop to stop (as SIGTERM would: its attempts are cancelled and recorded). */
export async function stopLoop(p: Project, source: string): Promise<{ pid: number }> {
  const holder = workingHolder(p.paths.lockFile);
  if (!holder || holder.command !== "loop") {
    throw new UserError({ reason: "conflict", message: "no loop is working on this project", fix: holder ? `the project is held by \`viable ${holder.command}\` (pid ${holder.pid}); use the kill switch to stop it` : "nothing to stop" });
  }
  await p.store.journal.commit({ event: { event_type: "control_action", data: { action: "stop_loop", source, pid: holder.pid } } });
  try {
    process.kill(holder.pid, "SIGTERM");
  } catch {
    // It ended between the look and the signal: stopped all the same.
  }
  return { pid: holder.pid };
}

function logFile(p: Project, id: string): string {
  return path.join(p.paths.stateDir, "jobs", `${id}.log`);
}

/** The end of a job's output (a long loop's log is read from its end, not whole). */
function logTail(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return "";
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(LOG_TAIL_BYTES, size));
    fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}
