// Budgets that actually stop work: dollars, tokens and wall time, per attempt, per plan item (all
// of its attempts), per task, and per run (one `viable run` or `viable loop` process). Usage arrives
// as the agent streams; the moment a limit is crossed the attempt is cancelled with the reason, and
// no further attempt starts in the exhausted scope.

import type { BudgetScope, Usage } from "../../domain/outcome.ts";

export interface BudgetLimits {
  usd?: number;
  tokens?: number;
  seconds?: number;
}

export type BudgetSettings = Partial<Record<BudgetScope, BudgetLimits>>;

interface Spend {
  usd: number;
  tokens: number;
  startedAt: number;
}

/** A budget crossed: the scope and a message naming the limit. */
export class BudgetExceeded extends Error {
  readonly scope: BudgetScope;
  constructor(scope: BudgetScope, message: string) {
    super(message);
    this.name = "BudgetExceeded";
    this.scope = scope;
  }
}

/** What an attempt is charged to: its task, and its plan item when it has one. */
export interface BudgetKey {
  taskId: string;
  itemId?: string | undefined;
}

export class BudgetTracker {
  readonly #settings: BudgetSettings;
  readonly #now: () => number;
  readonly #run: Spend;
  readonly #tasks = new Map<string, Spend>();
  readonly #items = new Map<string, Spend>();

  constructor(settings: BudgetSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
    this.#run = { usd: 0, tokens: 0, startedAt: now() };
  }

  /** The exhausted budget that forbids starting an attempt for `key`, if any. */
  blocking(key: BudgetKey): BudgetExceeded | undefined {
    return this.#overAny([["item", this.#item(key)], ["task", this.#task(key.taskId)], ["run", this.#run]]);
  }

  /** Starts tracking one attempt; `add` returns the budget it crossed, if any. */
  attempt(key: BudgetKey): AttemptBudget {
    const scopes: [BudgetScope, Spend | undefined][] = [
      ["attempt", { usd: 0, tokens: 0, startedAt: this.#now() }], ["item", this.#item(key)], ["task", this.#task(key.taskId)], ["run", this.#run],
    ];
    return {
      deadline: () => {
        let nearest: BudgetDeadline | undefined;
        for (const [scope, s] of scopes) {
          const limit = this.#settings[scope]?.seconds;
          if (!s || limit === undefined) continue;
          const seconds = limit - (this.#now() - s.startedAt) / 1000;
          if (nearest === undefined || seconds < nearest.seconds) nearest = { seconds, scope, limit };
        }
        return nearest;
      },
      add: (delta: { usage?: Usage; costUsd?: number }) => {
        const tokens = delta.usage ? delta.usage.inputTokens + delta.usage.outputTokens : 0;
        const usd = delta.costUsd ?? 0;
        for (const [, s] of scopes) {
          if (!s) continue;
          s.tokens += tokens;
          s.usd += usd;
        }
        return this.#overAny(scopes);
      },
    };
  }

  spent(scope: "run" | BudgetKey = "run"): { usd: number; tokens: number } {
    const s = scope === "run" ? this.#run : (this.#item(scope) ?? this.#task(scope.taskId));
    return { usd: s.usd, tokens: s.tokens };
  }

  #task(id: string): Spend {
    let s = this.#tasks.get(id);
    if (!s) {
      s = { usd: 0, tokens: 0, startedAt: this.#now() };
      this.#tasks.set(id, s);
    }
    return s;
  }

  #item(key: BudgetKey): Spend | undefined {
    if (key.itemId === undefined) return undefined;
    const id = `${key.taskId}\u0000${key.itemId}`;
    let s = this.#items.get(id);
    if (!s) {
      s = { usd: 0, tokens: 0, startedAt: this.#now() };
      this.#items.set(id, s);
    }
    return s;
  }

  #overAny(scopes: readonly [BudgetScope, Spend | undefined][]): BudgetExceeded | undefined {
    for (const [scope, spend] of scopes) {
      const over = spend ? this.#over(scope, spend, this.#settings[scope]) : undefined;
      if (over) return over;
    }
    return undefined;
  }

  #over(scope: BudgetScope, spend: Spend, limits: BudgetLimits | undefined): BudgetExceeded | undefined {
    if (!limits) return undefined;
    if (limits.usd !== undefined && spend.usd >= limits.usd) {
      return new BudgetExceeded(scope, `${scope} budget exceeded: $${spend.usd.toFixed(4)} spent of $${limits.usd}`);
    }
    if (limits.tokens !== undefined && spend.tokens >= limits.tokens) {
      return new BudgetExceeded(scope, `${scope} budget exceeded: ${spend.tokens} tokens used of ${limits.tokens}`);
    }
    // An attempt's wall time is its timeout (attemptSeconds), enforced by the supervisor.
    const seconds = (this.#now() - spend.startedAt) / 1000;
    if (limits.seconds !== undefined && scope !== "attempt" && seconds >= limits.seconds) {
      return new BudgetExceeded(scope, `${scope} budget exceeded: ${Math.round(seconds)} s of ${limits.seconds} s`);
    }
    return undefined;
  }
}

export interface BudgetDeadline {
  /** Seconds left from now. */
  seconds: number;
  scope: BudgetScope;
  /** The scope's limit, in seconds. */
  limit: number;
}

export interface AttemptBudget {
  add(delta: { usage?: Usage; costUsd?: number }): BudgetExceeded | undefined;
  /** The nearest time budget (the attempt's own, or what is left of its item's, task's or run's). */
  deadline(): BudgetDeadline | undefined;
}
