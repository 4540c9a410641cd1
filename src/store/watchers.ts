// Who else is watching a project and can answer for a person: a `viable serve` registers itself
// here while it runs. A writer that needs an S5 approval and has no terminal waits for an answer only
// when someone is watching — otherwise it stops at once and says how to proceed, as it always did.
// A presence file names its process and that process's start time, so one left by a killed server
// (or a reused pid) counts for nothing.

import fs from "node:fs";
import path from "node:path";
import { processStartTime } from "./writer-lock.ts";

export interface Watcher {
  pid: number;
  start: string | null;
  /** "serve", ... */
  kind: string;
  /** Where a person finds it, e.g. the dashboard's address (without its token). */
  url: string | null;
}

/** Registers this process; returns the function that removes the registration. */
export function registerWatcher(dir: string, kind: string, url: string | null): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${process.pid}.json`);
  const me: Watcher = { pid: process.pid, start: processStartTime(process.pid), kind, url };
  fs.writeFileSync(file, JSON.stringify(me));
  return () => fs.rmSync(file, { force: true });
}

/** Live watchers; presence files of dead processes are removed on the way. */
export function liveWatchers(dir: string): Watcher[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const live: Watcher[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let w: Partial<Watcher>;
    try {
      w = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Watcher>;
    } catch {
      continue;
    }
    if (typeof w.pid !== "number") continue;
    const start = processStartTime(w.pid);
    if (start !== null && (w.start == null || w.start === start)) live.push({ pid: w.pid, start, kind: String(w.kind), url: w.url ?? null });
    else fs.rmSync(file, { force: true });
  }
  return live;
}
