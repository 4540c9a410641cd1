// Shared by the process tests: hermetic environments, unique markers, and a /proc scan written
// independently of src/process so that "no process survives" is not checked by the code under test.

import fs from "node:fs";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";

import type { OutputLine, ProcessSpec } from "../../src/process/supervise-process.ts";

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

/** Short grace periods keep the suite fast; the escalation logic is the same at any scale. */
export function testSpec(marker: string, script: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { file: "sh", args: ["-c", script], marker, env: hermeticEnv(), killGraceMs: 100, maxOutputBytes: 1024 * 1024, ...extra };
}

/** Reads lines until one matches, returning the text of all lines read so far. */
export async function readUntil(lines: AsyncIterator<OutputLine>, matches: (text: string) => boolean): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const next = await lines.next();
    if (next.done) throw new Error(`output ended without the expected line; saw ${JSON.stringify(seen)}`);
    seen.push(next.value.text);
    if (matches(next.value.text)) return seen;
  }
}

export async function readCount(lines: AsyncIterator<OutputLine>, count: number): Promise<string[]> {
  const seen: string[] = [];
  while (seen.length < count) {
    const next = await lines.next();
    if (next.done) throw new Error(`output ended after ${JSON.stringify(seen)}`);
    seen.push(next.value.text);
  }
  return seen;
}

export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol("pending");
  return (await Promise.race([promise, Promise.resolve(pending)])) !== pending;
}
