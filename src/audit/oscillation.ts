// Oscillation: a file returning to content it had earlier in the same task, after moving away from
// it — agents undoing each other (across the agents of one cycle, or across cycles of a task).
// Each file's history starts at its HEAD content, so "A adds a line, B removes it" counts too.

import type { DatabaseSync } from "node:sqlite";
import { changedPaths, hashPaths, headHashes } from "../workspace/git.ts";

export interface Oscillation {
  path: string;
  /** The agent whose change brought the file back. */
  agent: string;
  /** Which earlier agent's version (or "HEAD") it returned to. */
  returned_to: string;
}

/**
 * Records the current content of every changed file after `agent` ran, and reports files whose new
 * content equals a version older than the latest one recorded for this task.
 */
export async function recordFileVersions(db: DatabaseSync, taskId: string, agent: string, cwd: string, signal?: AbortSignal): Promise<Oscillation[]> {
  const known = db.prepare("SELECT DISTINCT path FROM file_versions WHERE task_id = ?").all(taskId) as { path: string }[];
  const paths = [...new Set([...(await changedPaths(cwd, signal)), ...known.map((r) => r.path)])];
  if (paths.length === 0) return [];
  const now = await hashPaths(cwd, paths, signal);
  const head = await headHashes(cwd, paths, signal);
  const history = db.prepare("SELECT seq, hash, agent FROM file_versions WHERE task_id = ? AND path = ? ORDER BY seq");
  const insert = db.prepare("INSERT INTO file_versions (task_id, path, seq, hash, agent) VALUES (?, ?, ?, ?, ?)");
  const found: Oscillation[] = [];
  for (const p of paths) {
    let versions = history.all(taskId, p) as { seq: number; hash: string; agent: string }[];
    if (versions.length === 0) {
      insert.run(taskId, p, 0, head.get(p) ?? "absent", "HEAD");
      versions = [{ seq: 0, hash: head.get(p) ?? "absent", agent: "HEAD" }];
    }
    const latest = versions[versions.length - 1]!;
    const hash = now.get(p) ?? "absent";
    if (hash === latest.hash) continue;
    const earlier = versions.slice(0, -1).find((v) => v.hash === hash);
    if (earlier) found.push({ path: p, agent, returned_to: earlier.agent });
    insert.run(taskId, p, latest.seq + 1, hash, agent);
  }
  return found;
}
