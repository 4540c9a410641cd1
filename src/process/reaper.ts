// Reaping after a crash. When Viable itself is killed (-9, OOM, a closed laptop lid) the attempts it
// was supervising keep running, re-parented to init, and nothing would ever stop them. Every
// attempt's processes carry its marker, so at the next start the engine passes the markers of the
// attempts it had recorded as running, and everything still carrying one is stopped.

import { type ProcessInfo } from "./process-tree.ts";
import { stopAttemptProcesses } from "./stop-processes.ts";

export interface ReapedProcess {
  pid: number;
  /** The attempt it belonged to: its own marker, or the nearest marked ancestor's. */
  marker: string;
  command: string;
}

export interface ReapOptions {
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
}

export async function reapMarked(markers: readonly string[], opts: ReapOptions): Promise<ReapedProcess[]> {
  // An empty marker would match any process whose environment merely mentions the variable.
  const wanted = markers.filter((m) => m !== "");
  if (wanted.length === 0) return [];
  const { stopped } = await stopAttemptProcesses({ markers: wanted }, opts.graceMs);
  return stopped.map((p) => ({ pid: p.pid, marker: attributedMarker(p, stopped) ?? "", command: p.command }));
}

function attributedMarker(p: ProcessInfo, all: readonly ProcessInfo[]): string | undefined {
  const byPid = new Map(all.map((q) => [q.pid, q]));
  const visited = new Set<number>();
  for (let q: ProcessInfo | undefined = p; q && !visited.has(q.pid); q = byPid.get(q.ppid)) {
    if (q.marker !== undefined) return q.marker;
    visited.add(q.pid);
  }
  return undefined;
}
