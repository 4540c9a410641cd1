// The raw output of an attempt, kept on disk for people to read later, capped so that a runaway
// agent cannot fill the disk. Past the cap output is counted, not kept, and the cap is reported.
// Without a path nothing is written, but the cap is still applied, so "truncated" means the same.

import fs from "node:fs";
import path from "node:path";
import { errorMessage } from "../domain/errors.ts";

export class Transcript {
  readonly #maxBytes: number;
  readonly #file: fs.WriteStream | undefined;
  #keptBytes = 0;
  #truncated = false;
  #error: string | undefined;

  constructor(file: string | undefined, maxBytes: number) {
    this.#maxBytes = maxBytes;
    if (file === undefined) return;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.#file = fs.createWriteStream(file);
      this.#file.on("error", (e) => (this.#error ??= `could not write the transcript ${file}: ${errorMessage(e)}`));
    } catch (e) {
      this.#error = `could not create the transcript ${file}: ${errorMessage(e)}`;
    }
  }

  /** True once some output did not fit under the cap. */
  get truncated(): boolean {
    return this.#truncated;
  }

  write(text: string): void {
    if (text === "") return;
    const bytes = Buffer.from(text, "utf8");
    const room = this.#maxBytes - this.#keptBytes;
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, Math.max(0, room));
    if (kept.length < bytes.length) this.#truncated = true;
    if (kept.length === 0) return;
    this.#keptBytes += kept.length;
    if (this.#error === undefined) this.#file?.write(kept);
  }

  /** Flushes and closes the file; resolves with what went wrong with it, if anything did. */
  async close(): Promise<string | undefined> {
    const file = this.#file;
    if (file && !file.closed) {
      await new Promise<void>((resolve) => {
        file.once("close", resolve);
        file.end();
      });
    }
    return this.#error;
  }
}
