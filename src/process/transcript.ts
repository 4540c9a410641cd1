// The raw output of an attempt (secrets masked), kept on disk for people to read later, capped so
// that a runaway agent cannot fill the disk. Past the cap output is counted, not kept, and the cap is
// reported. Without a path nothing is written, but the cap is still applied, so "truncated" means the
// same.
//
// The file is created with the first byte kept: an agent that prints nothing leaves no file, which at
// thousands of quiet plan items is thousands of files fewer. Writes are synchronous appends, so the
// order is exact and nothing is pending once close() returns; what arrives within one event-loop
// turn (all the lines of one chunk) is written at once.

import fs from "node:fs";
import path from "node:path";
import { errorMessage } from "../domain/errors.ts";

export class Transcript {
  readonly #file: string | undefined;
  readonly #maxBytes: number;
  #fd: number | undefined;
  #keptBytes = 0;
  #truncated = false;
  #error: string | undefined;
  #buffered: Buffer[] = [];
  #flushScheduled = false;

  constructor(file: string | undefined, maxBytes: number) {
    this.#file = file;
    this.#maxBytes = maxBytes;
  }

  /** True once some output did not fit under the cap. */
  get truncated(): boolean {
    return this.#truncated;
  }

  write(text: string): void {
    if (text === "") return;
    const room = this.#maxBytes - this.#keptBytes;
    if (room <= 0) {
      this.#truncated = true;
      return;
    }
    const bytes = Buffer.from(text, "utf8");
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, room);
    if (kept.length < bytes.length) this.#truncated = true;
    this.#keptBytes += kept.length;
    if (this.#file === undefined || this.#error !== undefined) return;
    this.#buffered.push(kept);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Writes what is buffered and closes the file; returns what went wrong with it, if anything did. */
  close(): string | undefined {
    this.#flush();
    if (this.#fd !== undefined) {
      try {
        fs.closeSync(this.#fd);
      } catch (e) {
        this.#error ??= `could not write the transcript ${this.#file}: ${errorMessage(e)}`;
      }
      this.#fd = undefined;
    }
    return this.#error;
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#buffered.length === 0 || this.#file === undefined) return;
    const data = this.#buffered.length === 1 ? this.#buffered[0]! : Buffer.concat(this.#buffered);
    this.#buffered = [];
    if (this.#error !== undefined) return;
    try {
      if (this.#fd === undefined) {
        fs.mkdirSync(path.dirname(this.#file), { recursive: true });
        this.#fd = fs.openSync(this.#file, "a");
      }
      for (let done = 0; done < data.length;) done += fs.writeSync(this.#fd, data, done);
    } catch (e) {
      this.#error = `could not write the transcript ${this.#file}: ${errorMessage(e)}`;
    }
  }
}
