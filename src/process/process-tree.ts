// Finding every process that belongs to an attempt, from /proc alone (Linux).
//
// A process group is not enough: Claude Code's Bash tool starts each command with `setsid`, in a
// new session and group, and when its parent dies the command is re-parented to init. Two traces
// survive that: the marker variable every descendant inherits (visible in /proc/<pid>/environ),
// and the ppid links among the survivors themselves. So an attempt's processes are those carrying
// its marker, those in its process group, and every descendant of either — computed from a table
// of /proc, which works whether or not the attempt's first process is still alive (after Viable
// itself was killed, say). Where /proc does not exist the table is empty.

import fs from "node:fs";

/** Exported to every attempt process; descendants inherit it, which is what makes them findable. */
export const ATTEMPT_MARKER_VARIABLE = "VIABLE_ATTEMPT_ID";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sessionId: number;
  /** One letter from /proc/<pid>/stat: R, S, D, Z (zombie), T, ... */
  state: string;
  /** Kernel start time (clock ticks since boot): tells a pid apart from a later reuse of it. */
  startTime: string;
  /** The command line, or the short name in brackets when it is unreadable (kernel threads). */
  command: string;
  /** The process's own VIABLE_ATTEMPT_ID, when its environment carries one and we may read it. */
  marker: string | undefined;
}

export interface AttemptSelector {
  /** Processes carrying any of these markers belong to the attempt. */
  markers?: readonly string[];
  /** So do the members of these process groups (the attempt's own group is its first pid). */
  processGroups?: readonly number[];
  /** And these processes, seen earlier, if the same process (pid and start time) is still there. */
  known?: readonly ProcessInfo[];
}

export function readProcessTable(): ProcessInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const table: ProcessInfo[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info) table.push(info);
  }
  return table;
}

/** One process, or undefined when it is gone (or /proc is unavailable). */
export function readProcess(pid: number): ProcessInfo | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The name in parentheses may itself contain spaces and parentheses; the fields follow the last ")".
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  const [state, ppid, pgid, sessionId] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || pgid === undefined || sessionId === undefined || startTime === undefined) {
    return undefined;
  }
  const cmdline = readText(`/proc/${pid}/cmdline`)?.replace(/\0+$/, "").split("\0").join(" ");
  return {
    pid,
    ppid: Number(ppid),
    pgid: Number(pgid),
    sessionId: Number(sessionId),
    state,
    startTime,
    command: cmdline || `[${stat.slice(stat.indexOf("(") + 1, close)}]`,
    marker: readMarker(pid),
  };
}

/**
 * The processes the selector designates, plus all their descendants; never this process, and
 * never zombies (they are already dead and cannot be signalled away).
 */
export function selectAttemptProcesses(table: readonly ProcessInfo[], selector: AttemptSelector): ProcessInfo[] {
  const markers = new Set(selector.markers ?? []);
  const groups = new Set(selector.processGroups ?? []);
  const known = new Map((selector.known ?? []).map((p) => [p.pid, p.startTime]));
  const selected = new Set<number>();
  for (const p of table) {
    const isMarked = p.marker !== undefined && markers.has(p.marker);
    if (isMarked || groups.has(p.pgid) || known.get(p.pid) === p.startTime) selected.add(p.pid);
  }
  const children = new Map<number, number[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const pending = [...selected];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    for (const child of children.get(pid) ?? []) {
      if (!selected.has(child)) {
        selected.add(child);
        pending.push(child);
      }
    }
  }
  return table.filter((p) => selected.has(p.pid) && p.pid !== process.pid && !isDead(p));
}

export function findAttemptProcesses(selector: AttemptSelector): ProcessInfo[] {
  return selectAttemptProcesses(readProcessTable(), selector);
}

/** Whether the process can still run: a zombie has exited and only waits for its parent to reap it. */
export function isProcessAlive(pid: number): boolean {
  // kill(0) and kill(-n) would ask about process groups, not about one process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const info = readProcess(pid);
  return info === undefined ? true : !isDead(info);
}

/** Whether `pid` is still the process `info` described (not gone, not dead, not a reused pid). */
export function isSameProcessAlive(info: ProcessInfo): boolean {
  const now = readProcess(info.pid);
  return now !== undefined && now.startTime === info.startTime && !isDead(now);
}

function isDead(p: ProcessInfo): boolean {
  return p.state === "Z" || p.state === "X";
}

function readMarker(pid: number): string | undefined {
  // Unreadable for other users' processes (EACCES): those are not ours to reap anyway.
  const environ = readText(`/proc/${pid}/environ`);
  if (environ === undefined) return undefined;
  const prefix = `${ATTEMPT_MARKER_VARIABLE}=`;
  return environ
    .split("\0")
    .find((entry) => entry.startsWith(prefix))
    ?.slice(prefix.length);
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
