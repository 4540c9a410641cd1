// Work started from outside a terminal (the dashboard): a `viable loop` or `viable run` as a process
// of its own, exactly what a person would start in a terminal — it takes the writer lock, records
// everything in the journal, and outlives the server that started it (its own process group, not
// a child a Ctrl-C of the server would take along). Stopping a loop asks it to stop as SIGTERM
// does. Both are recorded as control actions with where they came from, and so is a job's end with
// the tail of its output: a loop that refuses to start (a dirty tree, a config mistake) says why.
// A task's text goes in on stdin (`viable run -`): no length limit, and never read as an option.

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../domain/errors.ts";
import { workingHolder } from "../store/writer-lock.ts";
import type { Project } from "./project.ts";

/** The CLI, next to this module's package (the same from src/ and dist/). */
const VIABLE_BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "viable.js");

export interface Job {
  id: string;
  kind: "loop" | "task";
  pid: number | null;
  args: string[];
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  /** Its output (stdout and stderr), for when it ends before showing up in the journal. */
  log: string;
}

export interface JobRequest {
  kind: "loop" | "task";
  /** Options after the command, e.g. ["--concurrency", "2"] or ["--auto-approve"]. */
  args: string[];
  /** A task's text. */
  input?: string;
  source: string;
}

/** Output kept in a job's end record: enough for the error a command printed. */
const LOG_TAIL_BYTES = 2000;

export async function startJob(p: Project, r: JobRequest, onExit: (job: Job) => void): Promise<Job> {
  const kill = await p.store.queries.killSwitch();
  if (kill) throw new UserError({ reason: "kill_switch", message: `the kill switch is engaged (since ${kill.since}: ${kill.reason}); nothing new starts`, fix: "release the kill switch first" });
  if (r.kind === "loop" && !(await p.store.queries.hasPlan())) {
    throw new UserError({ reason: "not_found", message: "no plan has been imported into this project", fix: "run `viable plan import FILE` first" });
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
  const dir = path.join(p.paths.stateDir, "jobs");
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, `${id}.log`);
  const out = fs.openSync(log, "a");
  const command = r.kind === "loop" ? "loop" : "run";
  const args = [VIABLE_BIN, command, ...r.args, ...(r.input !== undefined ? ["-"] : []), "-d", p.paths.root];
  let child;
  try {
    child = spawn(process.execPath, args, { cwd: p.paths.root, detached: true, stdio: [r.input !== undefined ? "pipe" : "ignore", out, out], env: process.env });
  } finally {
    fs.closeSync(out);
  }
  if (r.input !== undefined) {
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(r.input);
  }
  const job: Job = { id, kind: r.kind, pid: child.pid ?? null, args: [command, ...r.args], started_at: new Date().toISOString(), ended_at: null, exit_code: null, log };
  child.on("error", () => undefined);
  child.on("exit", (code, signal) => {
    job.ended_at = new Date().toISOString();
    job.exit_code = code ?? (signal ? 128 : null);
    onExit(job);
    void p.store.journal.commit({
      event: { event_type: "control_action", data: { action: "job_ended", job: id, kind: r.kind, exit_code: job.exit_code, output_tail: logTail(log) } },
    }).catch(() => undefined);
  });
  child.unref();
  await p.store.journal.commit({ event: { event_type: "control_action", data: { action: r.kind === "loop" ? "start_loop" : "run_task", source: r.source, pid: job.pid, job: id, args: job.args } } });
  return job;
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

/** The end of a job's output. */
export function logTail(file: string): string {
  try {
    const text = fs.readFileSync(file);
    return text.subarray(Math.max(0, text.length - LOG_TAIL_BYTES)).toString("utf8");
  } catch {
    return "";
  }
}
