// How a project's warm processes (agent CLIs started ahead of need) are found again after a crash.
// Each carries a marker with the project's prefix, and while any may be alive a flag file says so:
// start-up reads the process table (every process's environment) only when the flag is there.
// Its own small module: start-up must not load every runtime to do this.

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { projectPaths } from "../workspace/paths.ts";

export interface WarmMarker {
  /** The prefix of every warm process's marker. */
  prefix: string;
  /** Present while warm processes of the project may be alive. */
  flagFile: string;
}

export function warmMarker(projectRoot: string): WarmMarker {
  return { prefix: warmMarkerPrefix(projectRoot), flagFile: path.join(projectPaths(projectRoot).stateDir, "warm-pool") };
}

/** Warm processes of one project carry markers with this prefix, so a restart can reap them. */
export function warmMarkerPrefix(projectRoot: string): string {
  return `warm-${createHash("sha256").update(projectRoot).digest("hex").slice(0, 10)}`;
}

/** Set before the first warm process starts. */
export function raiseWarmFlag(marker: WarmMarker): void {
  fs.mkdirSync(path.dirname(marker.flagFile), { recursive: true });
  fs.writeFileSync(marker.flagFile, `${process.pid}\n`);
}

/** Cleared once every warm process is gone. */
export function clearWarmFlag(marker: WarmMarker): void {
  fs.rmSync(marker.flagFile, { force: true });
}

export function warmFlagRaised(marker: WarmMarker): boolean {
  return fs.existsSync(marker.flagFile);
}
