// Runtimes at their provider's usage limit, and until when: a limit is the provider's, so every
// agent on that runtime in this process leaves it alone until it resets (a retry would only be
// refused again), while the next runtime in an agent's chain goes on with the work. When every
// runtime of a chain is limited the attempt waits for the earliest reset; while one waits, the
// loop starts nothing new (`paused`), and says so.

import type { RuntimeName } from "../../domain/runtime.ts";

export interface LimitWait {
  until: Date;
  runtimes: RuntimeName[];
}

export class RuntimeLimits {
  readonly #until = new Map<RuntimeName, Date>();
  readonly #waits = new Set<LimitWait>();
  readonly #now: () => Date;
  readonly #listeners = new Set<(waiting: LimitWait | null) => void>();

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** The runtime is limited until `until` (the later of what is known, when told twice). */
  record(runtime: RuntimeName, until: Date): void {
    const known = this.#until.get(runtime);
    if (!known || known < until) this.#until.set(runtime, until);
  }

  /** When the runtime's limit resets; null when it is not limited (any more). */
  until(runtime: RuntimeName): Date | null {
    const until = this.#until.get(runtime);
    if (until === undefined) return null;
    if (until <= this.#now()) {
      this.#until.delete(runtime);
      return null;
    }
    return until;
  }

  /** The earliest reset among the runtimes, when every one of them is limited; else null. */
  allLimited(runtimes: readonly RuntimeName[]): Date | null {
    let earliest: Date | null = null;
    for (const r of runtimes) {
      const until = this.until(r);
      if (until === null) return null;
      if (earliest === null || until < earliest) earliest = until;
    }
    return earliest;
  }

  /** Waits until `until` (or the signal); while any attempt waits, `waiting()` says for what. */
  async wait(wait: LimitWait, signal: AbortSignal): Promise<void> {
    this.#waits.add(wait);
    this.#notify();
    try {
      const ms = Math.max(0, wait.until.getTime() - this.#now().getTime());
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? "aborted")));
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
    } finally {
      this.#waits.delete(wait);
      this.#notify();
    }
  }

  /** The earliest wait in progress, if any attempt waits for a reset. */
  waiting(): LimitWait | null {
    let first: LimitWait | null = null;
    for (const w of this.#waits) if (first === null || w.until < first.until) first = w;
    return first;
  }

  /** Called whenever an attempt starts or stops waiting for a reset; returns the unsubscribe. */
  onChange(listener: (waiting: LimitWait | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    const w = this.waiting();
    for (const l of this.#listeners) l(w);
  }
}
