// Work started from outside a terminal (the dashboard): a `viable loop` or `viable run` as a process
// of its own, exactly what a person would start in a terminal — it takes the writer lock, records
// everything in the journal, and outlives the server that started it (its own process group, not
// a child a Ctrl-C of the server would take along). Stopping a loop asks it to stop as SIGTERM
// does. Both are recorded as control actions with where they came from.

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
  /** Arguments after the command, e.g. ["--concurrency", "2"] or ["Add a login page", "--auto-approve"]. */
  args: string[];
  source: string;
}

export async function startJob(p: Project, r: JobRequest, onExit: (job: Job) => void): Promise<Job> {
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
  const args = [VIABLE_BIN, command, ...r.args, "-d", p.paths.root];
  let child;
  try {
    child = spawn(process.execPath, args, { cwd: p.paths.root, detached: true, stdio: ["ignore", out, out], env: process.env });
  } finally {
    fs.closeSync(out);
  }
  const job: Job = { id, kind: r.kind, pid: child.pid ?? null, args: [command, ...r.args], started_at: new Date().toISOString(), ended_at: null, exit_code: null, log };
  child.on("error", () => undefined);
  child.on("exit", (code, signal) => {
    job.ended_at = new Date().toISOString();
    job.exit_code = code ?? (signal ? 128 : null);
    onExit(job);
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
  process.kill(holder.pid, "SIGTERM");
  return { pid: holder.pid };
}
