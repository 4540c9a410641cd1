// A process that could not be started is an expected failure (a CLI that is not installed, a script
// without its executable bit, a workspace that was removed), so it becomes a message that names the
// command and the likely fix rather than an exception.

export function describeSpawnError(file: string, cwd: string | undefined, error: unknown): string {
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

/** Checked before spawning because Node reports a missing cwd as ENOENT for the command itself. */
export function missingDirectoryError(file: string, cwd: string): string {
  return `cannot run ${file}: the working directory ${cwd} does not exist`;
}
