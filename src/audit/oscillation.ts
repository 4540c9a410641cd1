// Oscillation: a file returning to content it had earlier in the same task, after moving away from
// it — agents undoing each other (across the agents of one cycle, or across cycles of a task).
// Each file's history starts at its HEAD content, so "A adds a line, B removes it" counts too.

import { changedPaths, hashPaths, headHashes } from "../workspace/git.ts";

export interface Oscillation {
  path: string;
  /** The agent whose change brought the file back. */
  agent: string;
  /** Which earlier agent's version (or "HEAD") it returned to. */
  returned_to: string;
}

export interface FileVersion {
  path: string;
  seq: number;
  hash: string;
  agent: string;
}

/** A task's recorded versions of each file, oldest first. */
export type FileHistory = ReadonlyMap<string, readonly { seq: number; hash: string; agent: string }[]>;

/**
 * After `agent` ran: the versions to record (the current content of every changed or already
 * tracked file that moved, preceded by its HEAD version when the file is new to the history), and
 * the files whose new content equals a version older than the latest one recorded.
 */
export async function fileVersionsAfter(history: FileHistory, agent: string, cwd: string, signal?: AbortSignal): Promise<{ versions: FileVersion[]; oscillations: Oscillation[] }> {
  const paths = [...new Set([...(await changedPaths(cwd, signal)), ...history.keys()])];
  const versions: FileVersion[] = [];
  const oscillations: Oscillation[] = [];
  if (paths.length === 0) return { versions, oscillations };
  const now = await hashPaths(cwd, paths, signal);
  const head = await headHashes(cwd, paths, signal);
  for (const p of paths) {
    let known = history.get(p) ?? [];
    if (known.length === 0) {
      const start = { seq: 0, hash: head.get(p) ?? "absent", agent: "HEAD" };
      versions.push({ path: p, ...start });
      known = [start];
    }
    const latest = known[known.length - 1]!;
    const hash = now.get(p) ?? "absent";
    if (hash === latest.hash) continue;
    const earlier = known.slice(0, -1).find((v) => v.hash === hash);
    if (earlier) oscillations.push({ path: p, agent, returned_to: earlier.agent });
    versions.push({ path: p, seq: latest.seq + 1, hash, agent });
  }
  return { versions, oscillations };
}
