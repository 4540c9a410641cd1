// A process that could not be started is an expected failure (a CLI that is not installed, a script
// without its executable bit, a workspace that was removed), so it becomes a reason and a message that
// names the command and the likely fix rather than an exception.

import fs from "node:fs";

/**
 * - not_found: no such program (on PATH, or at the path given)
 * - not_executable: it exists but may not be executed
 * - no_directory: the working directory does not exist
 * - other: anything else the system refused
 */
export type SpawnFailureReason = "not_found" | "not_executable" | "no_directory" | "other";

export interface SpawnFailure {
  reason: SpawnFailureReason;
  message: string;
}

export function describeSpawnFailure(file: string, cwd: string | undefined, error: unknown): SpawnFailure {
  const code = (error as Partial<NodeJS.ErrnoException> | undefined)?.code;
  // Node reports a missing cwd as ENOENT for the command itself; checked only once spawning failed,
  // so that starting a process costs no extra system call.
  if (code === "ENOENT" && cwd !== undefined && !isDirectory(cwd)) {
    return { reason: "no_directory", message: `cannot run ${file}: the working directory ${cwd} does not exist` };
  }
  return { reason: code === "ENOENT" ? "not_found" : code === "EACCES" ? "not_executable" : "other", message: describeSpawnError(file, cwd, error) };
}

function describeSpawnError(file: string, cwd: string | undefined, error: unknown): string {
  const code = (error as Partial<NodeJS.ErrnoException> | undefined)?.code;
  const where = cwd === undefined ? "" : ` in ${cwd}`;
  switch (code) {
    case "ENOENT":
      return file.includes("/")
        ? `cannot run ${file}: no such file`
        : `cannot run ${file}: command not found on PATH (is it installed?)`;
    case "EACCES":
      return `cannot run ${file}: permission denied (is it executable?)`;
    case "ENOTDIR":
      return `cannot run ${file}${where}: a component of the path is not a directory`;
    default:
      return `cannot run ${file}${where}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
