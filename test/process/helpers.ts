// Shared by the process tests: hermetic environments, unique markers, and a /proc scan written
// independently of src/process so that "no process survives" is not checked by the code under test.

import fs from "node:fs";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";

/** Just enough for `sh`, `sleep` and `setsid` to be found; nothing from the developer's shell. */
export function hermeticEnv(): Record<string, string> {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
}

export function uniqueMarker(label: string): string {
  return `test-${label}-${randomUUID()}`;
}

/** Pids of live processes whose environment has VIABLE_ATTEMPT_ID=<marker>. */
export function pidsCarrying(marker: string): number[] {
  const entry = `VIABLE_ATTEMPT_ID=${marker}`;
  const pids: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) pids.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgid, session, ...]. */
export function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Reads a stream until it has produced `count` lines. */
export async function readLines(stream: Readable, count: number): Promise<string[]> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    const lines = text.split("\n");
    if (lines.length > count) return lines.slice(0, count);
  }
  throw new Error(`stream ended after ${text.split("\n").length - 1} of ${count} lines: ${JSON.stringify(text)}`);
}
