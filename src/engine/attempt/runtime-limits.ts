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

/** setTimeout's longest wait (2^31 - 1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? "aborted")));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
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

  /** Waits until `until` (or the signal); while any attempt waits, `waiting()` says for what. */
  async wait(wait: LimitWait, signal: AbortSignal): Promise<void> {
    this.#waits.add(wait);
    this.#notify();
    try {
      // Timers may fire a little early, and cannot wait longer than about 24 days at once.
      for (let ms = wait.until.getTime() - this.#now().getTime(); ms > 0; ms = wait.until.getTime() - this.#now().getTime()) {
        await sleepFor(Math.min(ms, MAX_TIMER_MS), signal);
      }
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
