// A status line at the bottom of a terminal: redrawn at most four times a second on stderr, with
// lines printed above it as they come. Only for a person at a terminal.

export class LiveLine {
  readonly #render: () => string | null;
  readonly #timer: NodeJS.Timeout;
  #paused = false;
  #stopped = false;
  /** Lines printed while a prompt has the terminal: shown when it is done, never through it. */
  #held: string[] = [];

  constructor(render: () => string | null) {
    this.#render = render;
    this.#timer = setInterval(() => this.draw(), 250).unref();
  }

  /** Prints `line` above the status line. */
  print(line: string): void {
    if (this.#stopped) return;
    if (this.#paused) {
      this.#held.push(line);
      return;
    }
    this.#clear();
    process.stderr.write(`${line}\n`);
    this.draw();
  }

  draw(): void {
    if (this.#paused || this.#stopped) return;
    const line = this.#render();
    if (line === null) return;
    const width = process.stderr.columns || 100;
    process.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(20, width - 1))}`);
  }

  /** Clears the line while `fn` (a prompt) has the terminal. */
  async pause<T>(fn: () => Promise<T>): Promise<T> {
    this.#paused = true;
    this.#clear();
    try {
      return await fn();
    } finally {
      this.#paused = false;
      const held = this.#held.splice(0);
      for (const line of held) this.print(line);
    }
  }

  stop(): void {
    if (this.#stopped) return;
    clearInterval(this.#timer);
    this.#clear();
    for (const line of this.#held.splice(0)) process.stderr.write(`${line}\n`);
    this.#stopped = true;
  }

  #clear(): void {
    process.stderr.write("\r\x1b[2K");
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
