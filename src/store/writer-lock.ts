// One writer per project. SQLite would serialize two writers, but two Viable loops on one project
// would both dispatch agents into the same tree; so a second writer is refused, naming the holder.
// The lock is a file holding the holder's pid and that process's start time (from /proc), so a
// lock left by a killed process — or by a pid since reused — is recognized as stale and taken over.

import fs from "node:fs";
import path from "node:path";
import { UserError } from "../domain/errors.ts";

export interface LockHolder {
  pid: number;
  /** Kernel start time of the process (clock ticks since boot), to tell pid reuse apart. */
  start: string | null;
  command: string;
  acquired_at: string;
}

export interface WriterLock {
  readonly file: string;
  release(): void;
}

export function acquireWriterLock(file: string, command: string): WriterLock {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw notWritable(path.dirname(file), e);
  }
  const me: LockHolder = { pid: process.pid, start: processStartTime(process.pid), command, acquired_at: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: "wx" });
      return { file, release: () => releaseIfMine(file) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw notWritable(path.dirname(file), e);
    }
    const holder = readHolder(file);
    if (holder && holder.pid !== process.pid && isHolderAlive(holder)) {
      throw new UserError({
        reason: "store_locked",
        file,
        message: `another Viable process (pid ${holder.pid}, \`viable ${holder.command}\`, since ${holder.acquired_at}) is working on this project`,
        fix: `wait for it to finish, or stop it (\`viable stop\` or kill ${holder.pid}); read-only commands like \`viable state\` still work`,
      });
    }
    // Stale (its process is gone) or unreadable: remove and try again.
    fs.rmSync(file, { force: true });
  }
  throw new UserError({ reason: "store_locked", file, message: "could not take the project's writer lock", fix: "try again" });
}

export function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockHolder>;
    if (typeof parsed.pid !== "number") return null;
    return { pid: parsed.pid, start: parsed.start ?? null, command: parsed.command ?? "?", acquired_at: parsed.acquired_at ?? "?" };
  } catch {
    return null;
  }
}

/** The holder when its process still runs; a moment's reconciliation by a reader does not count as work. */
export function workingHolder(file: string): LockHolder | null {
  const h = readHolder(file);
  return h && h.command !== "reconcile" && isHolderAlive(h) ? h : null;
}

function isHolderAlive(holder: LockHolder): boolean {
  const start = processStartTime(holder.pid);
  if (start === null) return false;
  return holder.start === null || holder.start === start;
}

function releaseIfMine(file: string): void {
  const holder = readHolder(file);
  if (holder?.pid === process.pid) fs.rmSync(file, { force: true });
}

/**
 * Field 22 of /proc/<pid>/stat; null when the process does not exist or is no longer alive. A
 * holder killed with SIGKILL stays in /proc as a zombie until its parent reaps it — in a container
 * without an init that reaps, for as long as the container runs — and a zombie (Z) or exiting (X)
 * process holds nothing.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = rest[0];
    if (state === "Z" || state === "X" || state === "x") return null;
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** A state directory Viable cannot write in: which, why, and what to do. */
function notWritable(dir: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS" && code !== "ENOTDIR") return e instanceof Error ? e : new Error(String(e));
  return new UserError({
    reason: "bad_directory", file: dir, message: `cannot be written (${code}): Viable keeps its database and its writer lock there`,
    fix: code === "EROFS" ? "run Viable where the project's file system can be written"
      : code === "ENOTDIR" ? "a file stands where a directory of the path should be: move it away"
      : `give yourself write access (chmod u+w ${dir})`,
  });
}
