// Commits to the SQLite file by any process, noticed: every commit appends to the write-ahead log
// (`<file>-wal`), so a change to it in the database's directory (inotify) is the hint. A file system
// without notifications gives none; followers also look on a slow timer.

import fs from "node:fs";
import path from "node:path";

/** Calls `onCommit` when the database's write-ahead log changes; returns the stop. */
export function watchWal(databaseFile: string, onCommit: () => void): () => void {
  const wal = `${path.basename(databaseFile)}-wal`;
  let watcher: fs.FSWatcher | undefined;
  const stop = () => {
    watcher?.close();
    watcher = undefined;
  };
  try {
    watcher = fs.watch(path.dirname(databaseFile), { persistent: false }, (_kind, name) => {
      if (name === wal) onCommit();
    });
    watcher.on("error", stop);
  } catch {
    // No notifications here: the timer alone.
  }
  return stop;
}
