// Deferred leftover sweeps, for supervisors that do not read /proc at every exit.
//
// Reading the whole of /proc (every process's stat, cmdline and environ) costs several milliseconds
// of the event loop, more on a busy machine; after every exit it would dominate a plan of thousands
// of short items. A supervisor using a sweeper checks only the attempt's own process group at exit
// (one kill(-pgid, 0)) and hands the attempt's marker to the sweeper, which stops whatever still
// carries any of the markers it was given — processes that left the group with setsid — with one
// read of /proc for all of them, once a second while there is something to sweep, and once more at
// close(). A stray process thus outlives its attempt by up to a second, and none survives close().

import { errorMessage } from "../domain/errors.ts";
import type { ProcessInfo } from "./process-tree.ts";
import { stopAttemptProcesses } from "./stop-processes.ts";

export interface LeftoverSweeperOptions {
  /** Time between sweeps while markers are waiting. Default 1 s. */
  intervalMs?: number;
  /** Told what each sweep stopped (only when it stopped something), or why it failed. */
  onSwept?: (stopped: readonly ProcessInfo[]) => void;
  onError?: (message: string) => void;
}

export class LeftoverSweeper {
  readonly #intervalMs: number;
  readonly #options: LeftoverSweeperOptions;
  /** Markers of ended attempts not swept yet, and the longest grace between SIGTERM and SIGKILL they asked for. */
  #markers: string[] = [];
  #graceMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<unknown> = Promise.resolve();

  constructor(options: LeftoverSweeperOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#options = options;
  }

  /** The marker of an attempt that has ended; its leftovers are stopped by the next sweep. */
  add(marker: string, graceMs: number): void {
    // An empty marker would match any process whose environment merely mentions the variable.
    if (marker === "") return;
    this.#markers.push(marker);
    if (graceMs > this.#graceMs) this.#graceMs = graceMs;
    // unref'd: a sweep is never a reason to keep the process alive; close() does the last one.
    this.#timer ??= setInterval(() => void this.sweep(), this.#intervalMs).unref();
  }

  /** Markers added and not swept yet. */
  get unswept(): number {
    return this.#markers.length;
  }

  /**
   * Stops every process still carrying a marker added so far (and their descendants), with one read
   * of /proc; resolves with what it stopped. Sweeps run one at a time.
   */
  sweep(): Promise<ProcessInfo[]> {
    const run = this.#sweeping.then(() => this.#sweepNow());
    this.#sweeping = run;
    return run;
  }

  /** The final sweep: stops the timer, then sweeps everything added so far. */
  async close(): Promise<ProcessInfo[]> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.sweep();
  }

  async #sweepNow(): Promise<ProcessInfo[]> {
    const markers = this.#markers;
    const graceMs = this.#graceMs;
    if (markers.length === 0) {
      // Nothing came in since the last sweep: the timer stops until the next add().
      clearInterval(this.#timer);
      this.#timer = undefined;
      return [];
    }
    this.#markers = [];
    this.#graceMs = 0;
    try {
      const { stopped } = await stopAttemptProcesses({ markers }, graceMs);
      if (stopped.length > 0) this.#options.onSwept?.(stopped);
      return stopped;
    } catch (e) {
      // Kept for the next sweep.
      for (const marker of markers) this.add(marker, graceMs);
      this.#options.onError?.(`could not stop the leftovers of ended attempts: ${errorMessage(e)}`);
      return [];
    }
  }
}
