// Several "machines" on one: a bare repository as the shared remote, the coordinator's project,
// and worker clones each in a directory of its own, all sharing a Postgres database; workers are
// real `viable worker` processes.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eachLine, startViable, type CliResult } from "../support/cli.ts";
import { loopProject, type Feature, type LoopProject } from "../loop/support.ts";

export interface Swarm {
  p: LoopProject;
  remote: string;
  /** Starts a worker in the clone of machine `name` (cloned the first time); its output lines as they come. */
  worker(name: string, ...args: string[]): WorkerProcess;
}

export interface WorkerProcess {
  dir: string;
  pid: number;
  /** Its output lines (one per attempt); `notes`: its stderr lines (the ready line, warnings). */
  lines: string[];
  notes: string[];
  done: Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
}

export interface Machines {
  root: string;
  /** The shared remote: a bare repository. */
  remote: string;
  worker(name: string, ...args: string[]): WorkerProcess;
}

/** A directory of machines with a bare remote; workers run with `env` (the test's scrubbed one by default). */
export function machines(t: { after: (fn: () => void | Promise<void>) => void }, env?: Record<string, string>): Machines {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "viable-machines-")));
  const remote = path.join(root, "remote.git");
  execFileSync("git", ["init", "--quiet", "--bare", "-b", "main", remote]);
  const workers: WorkerProcess[] = [];
  t.after(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.done.catch(() => undefined)));
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    root, remote,
    worker: (name, ...args) => {
      const dir = path.join(root, name);
      // A machine that had a worker before keeps its clone (and whatever that worker left).
      if (!fs.existsSync(dir)) execFileSync("git", ["clone", "--quiet", remote, dir]);
      const run = startViable(["worker", "-d", dir, ...args], env ? { env } : {});
      const lines: string[] = [];
      const notes: string[] = [];
      eachLine(run.child.stdout, (l) => lines.push(l));
      eachLine(run.child.stderr, (l) => notes.push(l));
      const w: WorkerProcess = { dir, pid: run.child.pid!, lines, notes, done: run.done, kill: (s = "SIGTERM") => void run.child.kill(s) };
      workers.push(w);
      return w;
    },
  };
}

export function swarmProject(t: { after: (fn: () => void | Promise<void>) => void }, features: Feature[], url: string, config: Record<string, unknown> = {}): Swarm {
  const m = machines(t);
  const { loop: loopConfig, ...rest } = config as { loop?: Record<string, unknown> };
  const p = loopProject(t, features, { config: { store: { url }, loop: { concurrency: 4, remote: m.remote, ...loopConfig }, ...rest } });
  p.git("push", "--quiet", m.remote, "main");
  return { p, remote: m.remote, worker: (name, ...args) => m.worker(name, ...args) };
}

/** Processes whose working directory is under `dir`: what a "machine" left running. */
export function processesUnder(dir: string): { pid: number; cwd: string }[] {
  const out: { pid: number; cwd: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // A zombie holds nothing; its parent reaps it.
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push({ pid: Number(entry), cwd });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}
