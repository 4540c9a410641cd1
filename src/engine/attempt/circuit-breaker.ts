// A circuit breaker per runtime (seed 002's closed → open → half-open → closed). When a provider is
// down, every attempt on it fails the same way; after `failures` consecutive failures the runtime
// is skipped (its fallback is used, or the attempt fails fast) until `resetMs` has passed, then
// one trial attempt is let through (half-open); `successes` successes close it again.

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSettings {
  failures: number;
  successes: number;
  resetMs: number;
}

/** Seed 002's agent-creation breaker. */
export const DEFAULT_BREAKER: BreakerSettings = { failures: 3, successes: 2, resetMs: 60_000 };

export class CircuitBreaker {
  readonly settings: BreakerSettings;
  #state: BreakerState = "closed";
  #failures = 0;
  #successes = 0;
  #openedAt = 0;
  readonly #now: () => number;

  constructor(settings: BreakerSettings = DEFAULT_BREAKER, now: () => number = Date.now) {
    this.settings = settings;
    this.#now = now;
  }

  get state(): BreakerState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.settings.resetMs) {
      this.#state = "half_open";
      this.#successes = 0;
    }
    return this.#state;
  }

  /** Whether an attempt may start now. */
  allows(): boolean {
    return this.state !== "open";
  }

  /** Milliseconds until an open breaker lets a trial through. */
  retryInMs(): number {
    return this.state === "open" ? Math.max(0, this.settings.resetMs - (this.#now() - this.#openedAt)) : 0;
  }

  recordSuccess(): void {
    if (this.state === "half_open") {
      this.#successes++;
      if (this.#successes >= this.settings.successes) this.#close();
      return;
    }
    this.#failures = 0;
  }

  /** Only failures that say something about the runtime count (not a task's own test failures). */
  recordFailure(): void {
    if (this.state === "half_open") {
      this.#open();
      return;
    }
    this.#failures++;
    if (this.#failures >= this.settings.failures) this.#open();
  }

  #open(): void {
    this.#state = "open";
    this.#openedAt = this.#now();
    this.#failures = 0;
  }

  #close(): void {
    this.#state = "closed";
    this.#failures = 0;
    this.#successes = 0;
  }
}

/** One breaker per runtime name, for the life of the process. */
export class CircuitBreakers {
  readonly #byRuntime = new Map<string, CircuitBreaker>();
  readonly #settings: BreakerSettings;
  readonly #now: () => number;

  constructor(settings: BreakerSettings = DEFAULT_BREAKER, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  for(runtime: string): CircuitBreaker {
    let b = this.#byRuntime.get(runtime);
    if (!b) {
      b = new CircuitBreaker(this.#settings, this.#now);
      this.#byRuntime.set(runtime, b);
    }
    return b;
  }
}
