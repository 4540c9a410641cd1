// What every command needs: the resolved project, its config and agents, and the store — opened as a
// writer or a reader. Opening also reconciles what a killed Viable left behind, whenever the
// project's writer lock is free, so even `viable state` after a kill -9 reports the truth.

import fs from "node:fs";
import { AgentRegistry } from "../agents/registry.ts";
import { loadConfig, type ViableConfig } from "../config/config.ts";
import { isUserError } from "../domain/errors.ts";
import { reconcile, type Reconciliation } from "../engine/reconcile.ts";
import { Store } from "../store/store.ts";
import { readHolder } from "../store/writer-lock.ts";
import type { ProjectPaths } from "../workspace/paths.ts";
import { ensureStateIgnored, resolveProject } from "../workspace/project.ts";

export interface ProjectContext {
  paths: ProjectPaths;
  config: ViableConfig;
  store: Store;
  reconciliation: Reconciliation | null;
  registry(): AgentRegistry;
}

export async function openProject(dir: string, opts: { writer: boolean; command: string }): Promise<ProjectContext> {
  const paths = await resolveProject(dir);
  const config = loadConfig(paths.configFile);
  let reconciliation: Reconciliation | null;
  let store: Store;
  if (opts.writer) {
    await ensureStateIgnored(paths);
    store = await openWriter(paths, opts.command);
    try {
      reconciliation = await reconcile(store, config.defaults.kill_grace_ms);
    } catch (e) {
      store.close();
      throw e;
    }
  } else {
    reconciliation = await reconcileIfIdle(paths, config);
    store = Store.open(paths, { writer: false, command: opts.command });
  }
  let registry: AgentRegistry | undefined;
  return {
    paths, config, store, reconciliation,
    registry: () => (registry ??= AgentRegistry.load(paths, config.defaults.runtime)),
  };
}

async function reconcileIfIdle(paths: ProjectPaths, config: ViableConfig): Promise<Reconciliation | null> {
  if (!fs.existsSync(paths.database)) return null;
  let writer: Store;
  try {
    writer = Store.open(paths, { writer: true, command: "reconcile" });
  } catch (e) {
    // Someone is working: what is in progress really is in progress.
    if (isUserError(e) && e.reason === "store_locked") return null;
    throw e;
  }
  try {
    return await reconcile(writer, config.defaults.kill_grace_ms);
  } finally {
    writer.close();
  }
}

/**
 * A read-only command holds the writer lock for a few milliseconds while it reconciles; a writer
 * arriving in that instant waits for it rather than failing.
 */
async function openWriter(paths: ProjectPaths, command: string): Promise<Store> {
  for (let tries = 0; ; tries++) {
    try {
      return Store.open(paths, { writer: true, command });
    } catch (e) {
      if (!(isUserError(e) && e.reason === "store_locked" && readHolder(paths.lockFile)?.command === "reconcile" && tries < 100)) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
