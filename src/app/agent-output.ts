// An attempt's output as normalized agent events, read from its transcript as it is written — never
// from the database, which holds only what the engine decided. The transcript is the CLI's own
// stream (plus its stderr lines); the runtime's protocol parser turns it into the same events the
// engine saw: messages, tool calls and results, file changes, usage. A command agent's lines are
// plain text.

import fs from "node:fs";
import { CLI_PROTOCOLS, type CliRuntimeName } from "../agents/cli-protocols.ts";
import type { ProtocolParser } from "../agents/protocols/common.ts";
import { UserError } from "../domain/errors.ts";
import type { AgentEvent } from "../domain/outcome.ts";
import { attemptTranscriptPath } from "../workspace/paths.ts";
import { itemWorktreeDir } from "../workspace/worktrees.ts";
import type { Project } from "./project.ts";

/** What the dashboard shows: the runtime's events, or a command agent's line. */
export type OutputEvent = Exclude<AgentEvent, { type: "finished" }> | { type: "text"; text: string };

/** One read takes at most this much; a reader asks again from `next`. */
const MAX_READ_BYTES = 256 * 1024;

/** Reads one transcript forward, holding the parser's state between reads. */
export class TranscriptReader {
  readonly #file: string;
  readonly #parser: ProtocolParser | undefined;
  #offset: number;
  /** The start of a line not yet ended, carried to the next read. */
  #partial = Buffer.alloc(0);

  constructor(file: string, runtime: string, cwd: string, from = 0) {
    this.#file = file;
    this.#offset = from;
    this.#parser = runtime in CLI_PROTOCOLS ? CLI_PROTOCOLS[runtime as CliRuntimeName].parser({ cwd }) : undefined;
  }

  /** Where the next read starts (complete lines only are consumed). */
  get next(): number {
    return this.#offset - this.#partial.length;
  }

  /** Events from what was appended since the last read; [] when nothing was. */
  read(): OutputEvent[] {
    let fd: number;
    try {
      fd = fs.openSync(this.#file, "r");
    } catch {
      return [];
    }
    const events: OutputEvent[] = [];
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.#offset) return [];
      const buffer = Buffer.allocUnsafe(Math.min(MAX_READ_BYTES, size - this.#offset));
      const n = fs.readSync(fd, buffer, 0, buffer.length, this.#offset);
      if (n === 0) return [];
      this.#offset += n;
      const data = Buffer.concat([this.#partial, buffer.subarray(0, n)]);
      const end = data.lastIndexOf(0x0a);
      this.#partial = end < 0 ? data : data.subarray(end + 1);
      if (end < 0) return [];
      for (const line of data.subarray(0, end).toString("utf8").split("\n")) events.push(...this.#line(line));
    } finally {
      fs.closeSync(fd);
    }
    return events;
  }

  #line(line: string): OutputEvent[] {
    if (line === "") return [];
    if (!this.#parser) return [{ type: "text", text: line }];
    return this.#parser.push(line).filter((e): e is Exclude<AgentEvent, { type: "finished" }> => e.type !== "finished");
  }
}

/** The transcript of an attempt of this project, or a not_found error; the id never names a path. */
export async function attemptTranscript(p: Project, attemptId: string): Promise<{ file: string; runtime: string; running: boolean; cwd: string }> {
  const attempt = /^[A-Za-z0-9_-]{1,128}$/.test(attemptId) ? await p.store.queries.attempt(attemptId) : null;
  if (!attempt) throw new UserError({ reason: "not_found", message: `the project has no attempt "${attemptId}"`, fix: "pick an attempt id from the item's attempts" });
  // File paths the CLI reports are shown relative to where it worked: an item's worktree.
  const cwd = attempt.item_id !== null && p.config.workspace.mode === "worktree" ? itemWorktreeDir(p.paths, attempt.item_id) : p.paths.root;
  return { file: attemptTranscriptPath(p.paths, attempt.id), runtime: attempt.runtime, running: attempt.status === "running", cwd };
}

export async function readAttemptOutput(p: Project, attemptId: string, from: number): Promise<{ events: OutputEvent[]; next: number; done: boolean }> {
  const t = await attemptTranscript(p, attemptId);
  const reader = new TranscriptReader(t.file, t.runtime, t.cwd, from);
  const events = reader.read();
  return { events, next: reader.next, done: !t.running && reader.next >= fileSize(t.file) };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
