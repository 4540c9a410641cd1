// A project watched for as long as an interface runs (the dashboard's server): opened as a reader
// that never holds the writer lock, following what writers in other processes commit, and registered
// as someone who can answer a writer's questions (S5 approvals).

import { JournalTail } from "../store/journal-tail.ts";
import { registerWatcher } from "../store/watchers.ts";
import { ensureStateIgnored } from "../workspace/project.ts";
import { openProject, type Project } from "./project.ts";

export interface WatchedProject {
  project: Project;
  /** Committed events of every process, in order, as they land (JournalTail). */
  tail: JournalTail;
  /** The newest sequence number committed (the tail may not have read it yet). */
  committedSeq(): Promise<number>;
  /** Whether the attempt is still running, as recorded. */
  attemptRunning(attemptId: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How often the tail looks without being told of a commit: the SQLite file's notifications can be
 * missing altogether (a file system without them); Postgres's only while a connection is remade.
 */
const POLL_MS = { sqlite: 250, postgres: 1000 } as const;

export async function watchProject(dir: string, kind: string, url: string | null, options: { watcher?: boolean } = {}): Promise<WatchedProject> {
  const project = await openProject(dir, { writer: false, create: true, command: kind });
  // It creates the database when there is none: the state directory must stay out of git like a writer's.
  await ensureStateIgnored(project.paths);
  const tail = new JournalTail(project.store.queries, { wake: (poke) => project.store.watchCommits(poke), pollMs: POLL_MS[project.store.kind] });
  let unregister: () => void = () => undefined;
  try {
    await tail.start();
    if (options.watcher !== false) unregister = registerWatcher(project.paths.watchersDir, kind, url);
  } catch (e) {
    tail.close();
    await project.close();
    throw e;
  }
  return {
    project, tail,
    committedSeq: () => project.store.queries.lastSeq(),
    attemptRunning: async (id) => (await project.store.queries.attempt(id))?.status === "running",
    close: async () => {
      unregister();
      tail.close();
      await project.close();
    },
  };
}
