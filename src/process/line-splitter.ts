// Splits a byte stream into lines without ever holding more than one line's cap in memory: an agent
// that prints 10 MB without a newline must not make Viable hold 10 MB. A line over the cap is cut,
// flagged, and the rest of it (up to the next newline) dropped, so the lines after it still parse.

import { StringDecoder } from "node:string_decoder";

export interface SplitLine {
  /** The line without its newline. */
  text: string;
  /** True when the line was longer than the cap and only its beginning is here. */
  truncated: boolean;
  /** False only for a last line the stream ended without a newline. */
  terminated: boolean;
}

const NEWLINE = 0x0a;

export class LineSplitter {
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Inside the dropped remainder of a cut line. */
  #discarding = false;

  constructor(maxLineBytes: number) {
    if (!(maxLineBytes > 0)) throw new RangeError(`maxLineBytes must be positive, got ${maxLineBytes}`);
    this.#maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.#discarding) this.#append(chunk.subarray(start, end), lines);
      if (newline === -1) break;
      if (this.#discarding) this.#discarding = false;
      else lines.push({ text: this.#take(), truncated: false, terminated: true });
      start = newline + 1;
    }
    return lines;
  }

  /** The unterminated last line, if the stream ended inside one. */
  end(): SplitLine[] {
    const wasDiscarding = this.#discarding;
    this.#discarding = false;
    if (wasDiscarding || this.#pendingBytes === 0) return [];
    return [{ text: this.#take(), truncated: false, terminated: false }];
  }

  #append(piece: Buffer, lines: SplitLine[]): void {
    if (piece.length === 0) return;
    const room = this.#maxLineBytes - this.#pendingBytes;
    if (piece.length <= room) {
      this.#pending.push(piece);
      this.#pendingBytes += piece.length;
      return;
    }
    this.#pending.push(piece.subarray(0, room));
    // The decoder holds back a character cut in half by the cap instead of emitting U+FFFD.
    const text = new StringDecoder("utf8").write(Buffer.concat(this.#pending));
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discarding = true;
    lines.push({ text, truncated: true, terminated: true });
  }

  #take(): string {
    const text = Buffer.concat(this.#pending).toString("utf8");
    this.#pending = [];
    this.#pendingBytes = 0;
    return text;
  }
}
