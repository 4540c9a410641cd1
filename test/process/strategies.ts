// The supervision strategies the contract runs against, and a harness that gives every test the
// same view of a process whatever its output mode: its output as lines (split here from the chunks
// when the supervisor delivers chunks), its exit, and for sweeper strategies the sweeper to close.

import { LeftoverSweeper } from "../../src/process/leftover-sweeper.ts";
import { HelperPool, type Spawner } from "../../src/process/spawner.ts";
import {
  superviseProcess, type OutputLine, type OutputStream, type ProcessSpec, type SupervisedProcess, type SupervisionStrategy,
} from "../../src/process/supervise-process.ts";
import type { ProcessExit } from "../../src/process/process-exit.ts";

export interface StrategyCase {
  name: string;
  spawner: "in-process" | "helper";
  leftovers: "scan" | "sweeper";
  output: "lines" | "chunks";
}

export const STRATEGIES: readonly StrategyCase[] = [
  { name: "in-process, scan, lines", spawner: "in-process", leftovers: "scan", output: "lines" },
  { name: "in-process, sweeper, chunks", spawner: "in-process", leftovers: "sweeper", output: "chunks" },
  { name: "helper pool, sweeper, chunks", spawner: "helper", leftovers: "sweeper", output: "chunks" },
  { name: "helper pool, scan, lines", spawner: "helper", leftovers: "scan", output: "lines" },
];

/** One per strategy case and test file; its helpers exit once closed. */
export class StrategyContext {
  readonly case: StrategyCase;
  /** The sweeper of this test's processes (sweeper strategies); closed by close(). */
  readonly sweeper: LeftoverSweeper | undefined;
  readonly #spawner: Spawner | undefined;

  constructor(c: StrategyCase, pool: HelperPool | undefined) {
    this.case = c;
    this.sweeper = c.leftovers === "sweeper" ? new LeftoverSweeper() : undefined;
    this.#spawner = c.spawner === "helper" ? pool : undefined;
  }

  /** Starts a process under this strategy; `wrap` may stand in front of the spawner (to watch it). */
  start(spec: ProcessSpec, wrap?: (spawner: Spawner | undefined) => Spawner): Run {
    const chunks = this.case.output === "chunks" ? new ChunkLines() : undefined;
    const spawner = wrap ? wrap(this.#spawner) : this.#spawner;
    const strategy: SupervisionStrategy = {
      ...(spawner ? { spawner } : {}),
      ...(this.sweeper ? { leftovers: this.sweeper } : {}),
      ...(chunks ? { output: { chunks: (stream: OutputStream, text: string) => chunks.push(stream, text) } } : {}),
    };
    const proc = superviseProcess({ ...spec, strategy });
    if (chunks) void proc.exited.then(() => chunks.end());
    return new Run(proc, chunks);
  }

  async close(): Promise<void> {
    await this.sweeper?.close();
  }
}

export class Run {
  readonly proc: SupervisedProcess;
  readonly #chunks: ChunkLines | undefined;
  #iterator: AsyncIterator<OutputLine> | undefined;

  constructor(proc: SupervisedProcess, chunks: ChunkLines | undefined) {
    this.proc = proc;
    this.#chunks = chunks;
  }

  /** Its output as lines, in either output mode; one iterator per run. */
  get lines(): AsyncIterator<OutputLine> {
    this.#iterator ??= this.#chunks ? this.#chunks.iterator() : this.proc.lines[Symbol.asyncIterator]();
    return this.#iterator;
  }

  /** The chunks as delivered (chunk output only). */
  get chunks(): readonly { stream: OutputStream; text: string }[] {
    return this.#chunks?.received ?? [];
  }

  /** Reads every line and waits for the exit. */
  async toEnd(): Promise<{ lines: OutputLine[]; exit: ProcessExit }> {
    const lines: OutputLine[] = [];
    for (let next = await this.lines.next(); !next.done; next = await this.lines.next()) lines.push(next.value);
    return { lines, exit: await this.proc.exited };
  }
}

/** Lines split from delivered chunks, per stream, for tests written against lines. */
class ChunkLines {
  readonly received: { stream: OutputStream; text: string }[] = [];
  readonly #partial: Record<OutputStream, string> = { stdout: "", stderr: "" };
  readonly #queue: OutputLine[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(stream: OutputStream, text: string): void {
    this.received.push({ stream, text });
    const parts = (this.#partial[stream] + text).split("\n");
    this.#partial[stream] = parts.pop() ?? "";
    for (const line of parts) this.#queue.push({ stream, text: line, truncated: false });
    this.#wakeUp();
  }

  end(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.#partial[stream] !== "") this.#queue.push({ stream, text: this.#partial[stream], truncated: false });
      this.#partial[stream] = "";
    }
    this.#ended = true;
    this.#wakeUp();
  }

  iterator(): AsyncIterator<OutputLine> {
    return {
      next: async () => {
        for (;;) {
          const line = this.#queue.shift();
          if (line !== undefined) return { value: line, done: false };
          if (this.#ended) return { value: undefined, done: true };
          await new Promise<void>((resolve) => (this.#wake = resolve));
        }
      },
    };
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
