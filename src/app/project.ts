// Opening a project: the resolved directory, its config and agents, and its store — opened as a
// writer or a reader. Opening also reconciles what a killed Viable left behind whenever the
// project's writer lock is free, so even `viable state` after a kill -9 reports the truth.

import fs from "node:fs";
import { AgentRegistry } from "../agents/registry.ts";
import { loadConfig, loadConfigLeniently, storeUrl, type ViableConfig } from "../config/config.ts";
import { isUserError } from "../domain/errors.ts";
import type { LogEntry } from "../domain/events.ts";
import { reconcile, type Reconciliation } from "../engine/reconcile.ts";
import { openStore, type JournalTransport, type Store, type StoreOptions } from "../store/store.ts";
import { readHolder } from "../store/writer-lock.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { ensureStateIgnored, resolveProject } from "../workspace/project.ts";

export interface Project {
  paths: ProjectPaths;
  config: ViableConfig;
  store: Store;
  /** What opening found and cleaned up after a killed Viable; null when nothing needed it. */
  reconciliation: Reconciliation | null;
  /** The agents, loaded on first use (a read-only command rarely needs them). */
  registry(): AgentRegistry;
  /** Calls `listener` with each event once it is committed, in order; returns the unsubscribe. */
  onEvent(listener: (e: LogEntry) => void): () => void;
  /** Resolves once everything recorded so far is committed. */
  flush(): Promise<void>;
  /** Commits what is staged and releases the store. */
  close(): Promise<void>;
  /** What a reader should say about the project's config (a typo a writer would refuse). */
  warnings: string[];
}

export interface OpenOptions {
  /** Take the project's writer lock: for commands that act. */
  writer: boolean;
  /** For the lock's holder message: which command holds it. */
  command: string;
  /** See StoreOptions.journal: "thread" for the plan loop. */
  journal?: JournalTransport;
  sessionId?: string;
  /** A size limit for the journal's writes (StoreOptions.maxPageCount): for quotas and tests. */
  maxPageCount?: number;
  /** A reader that creates the database when there is none yet: one that stays open to watch writers come. */
  create?: boolean;
}

export async function openProject(dir: string, opts: OpenOptions): Promise<Project> {
  const paths = await resolveProject(dir);
  // Commands that act refuse a config with mistakes; commands that only read work on, and warn.
  const { config, warnings } = opts.writer ? { config: loadConfig(paths.configFile), warnings: [] } : loadConfigLeniently(paths.configFile);
  let reconciliation: Reconciliation | null;
  let store: Store;
  const url = storeUrl(config);
  const storeOptions = {
    command: opts.command, ...(opts.journal ? { journal: opts.journal } : {}), ...(opts.sessionId ? { sessionId: opts.sessionId } : {}),
    ...(opts.maxPageCount ? { maxPageCount: opts.maxPageCount } : {}), ...(opts.create ? { create: true } : {}),
    ...(url ? { url } : {}),
  };
  if (opts.writer) {
    await ensureStateIgnored(paths);
    store = await openWriter(paths, storeOptions);
    try {
      reconciliation = await reconcile(store, config.defaults.kill_grace_ms);
    } catch (e) {
      await store.close();
      throw e;
    }
  } else {
    reconciliation = await reconcileIfIdle(paths, config, url);
    store = await openStore(paths, { writer: false, ...storeOptions });
  }
  let registry: AgentRegistry | undefined;
  return {
    paths, config, store, reconciliation,
    registry: () => (registry ??= AgentRegistry.load(paths, config.defaults.runtime)),
    onEvent: (listener) => store.journal.bus.subscribe(listener),
    flush: () => store.journal.flush(),
    close: () => store.close(),
    warnings: warnings.map(readerWarning),
  };
}

/** The warnings a read-only command gives about the project's config (see loadConfigLeniently). */
export async function configWarnings(dir: string): Promise<string[]> {
  const paths = await resolveProject(dir);
  return loadConfigLeniently(paths.configFile).warnings.map(readerWarning);
}

function readerWarning(w: Error): string {
  return `warning: ${w.message.replace("\n  fix:", "; fix:")} (read-only commands go on without it; commands that act refuse it)`;
}

/** Opens `dir`, runs `fn`, and closes the project whatever happens. */
export async function withProject<T>(dir: string, opts: OpenOptions, fn: (p: Project) => Promise<T>): Promise<T> {
  const project = await openProject(dir, opts);
  try {
    return await fn(project);
  } finally {
    await project.close();
  }
}

async function reconcileIfIdle(paths: ProjectPaths, config: ViableConfig, url: string | undefined): Promise<Reconciliation | null> {
  if (!url && !fs.existsSync(paths.database)) return null;
  let writer: Store;
  try {
    writer = await openStore(paths, { writer: true, command: "reconcile", ...(url ? { url } : {}) });
  } catch (e) {
    // Someone is working: what is in progress really is in progress.
    if (isUserError(e) && e.reason === "store_locked") return null;
    throw e;
  }
  try {
    return await reconcile(writer, config.defaults.kill_grace_ms);
  } finally {
    await writer.close();
  }
}

/**
 * A read-only command holds the writer lock for a few milliseconds while it reconciles; a writer
 * arriving in that instant waits for it rather than failing.
 */
async function openWriter(paths: ProjectPaths, options: Omit<StoreOptions, "writer">): Promise<Store> {
  for (let tries = 0; ; tries++) {
    try {
      return await openStore(paths, { writer: true, ...options });
    } catch (e) {
      // On Postgres the holder may be a reader reconciling for a moment too: wait as long for it.
      const reconciling = options.url !== undefined || readHolder(paths.lockFile)?.command === "reconcile";
      if (!(isUserError(e) && e.reason === "store_locked" && reconciling && tries < 100)) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
