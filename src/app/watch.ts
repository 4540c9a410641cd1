// A project watched for as long as an interface runs (the dashboard's server): opened as a reader
// that never holds the writer lock, following what writers in other processes commit, and registered
// as someone who can answer a writer's questions (S5 approvals).

import { JournalTail } from "../store/journal-tail.ts";
import { registerWatcher } from "../store/watchers.ts";
import { openProject, type Project } from "./project.ts";

export interface WatchedProject {
  project: Project;
  /** Committed events of every process, in order, as they land (JournalTail). */
  tail: JournalTail;
  close(): Promise<void>;
}

/** How often the tail looks without a file-change notification. */
const POLL_MS = 250;

export async function watchProject(dir: string, kind: string, url: string | null): Promise<WatchedProject> {
  const project = await openProject(dir, { writer: false, create: true, command: kind });
  const tail = new JournalTail(project.store.queries, { databaseFile: project.paths.database, pollMs: POLL_MS });
  let unregister: () => void = () => undefined;
  try {
    await tail.start();
    unregister = registerWatcher(project.paths.watchersDir, kind, url);
  } catch (e) {
    tail.close();
    await project.close();
    throw e;
  }
  return {
    project, tail,
    close: async () => {
      unregister();
      tail.close();
      await project.close();
    },
  };
}
