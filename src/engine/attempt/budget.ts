// Budgets that actually stop work: dollars, tokens and wall time, per attempt, per task and per run
// (one `viable run` or `viable loop` process). Usage arrives as the agent streams; the moment a
// limit is crossed the attempt is cancelled with the reason, and no further attempt starts.

import type { Usage } from "../domain/outcome.ts";

export interface BudgetLimits {
  usd?: number;
  tokens?: number;
  seconds?: number;
}

export interface BudgetSettings {
  attempt?: BudgetLimits;
  task?: BudgetLimits;
  run?: BudgetLimits;
}

interface Spend {
  usd: number;
  tokens: number;
  startedAt: number;
}

export class BudgetExceeded extends Error {
  readonly scope: "attempt" | "task" | "run";
  constructor(scope: BudgetExceeded["scope"], message: string) {
    super(message);
    this.scope = scope;
  }
}

export class BudgetTracker {
  readonly #settings: BudgetSettings;
  readonly #now: () => number;
  readonly #run: Spend;
  readonly #tasks = new Map<string, Spend>();

  constructor(settings: BudgetSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
    this.#run = { usd: 0, tokens: 0, startedAt: now() };
  }

  /** Throws BudgetExceeded when the task or the run has no budget left to start an attempt. */
  checkCanStart(taskId: string): void {
    const task = this.#task(taskId);
    const over = this.#over("task", task, this.#settings.task) ?? this.#over("run", this.#run, this.#settings.run);
    if (over) throw over;
  }

  /** Starts tracking one attempt; `add` returns the exceeded budget, if any. */
  attempt(taskId: string): AttemptBudget {
    const task = this.#task(taskId);
    const attempt: Spend = { usd: 0, tokens: 0, startedAt: this.#now() };
    return {
      add: (delta: { usage?: Usage; costUsd?: number }) => {
        const tokens = delta.usage ? delta.usage.inputTokens + delta.usage.outputTokens : 0;
        const usd = delta.costUsd ?? 0;
        for (const s of [attempt, task, this.#run]) {
          s.tokens += tokens;
          s.usd += usd;
        }
        return this.#over("attempt", attempt, this.#settings.attempt) ?? this.#over("task", task, this.#settings.task) ?? this.#over("run", this.#run, this.#settings.run);
      },
      attemptSeconds: this.#settings.attempt?.seconds,
    };
  }

  spent(taskId?: string): { usd: number; tokens: number } {
    const s = taskId ? this.#task(taskId) : this.#run;
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

  #over(scope: BudgetExceeded["scope"], spend: Spend, limits: BudgetLimits | undefined): BudgetExceeded | undefined {
    if (!limits) return undefined;
    if (limits.usd !== undefined && spend.usd >= limits.usd) {
      return new BudgetExceeded(scope, `${scope} budget exceeded: $${spend.usd.toFixed(4)} spent of $${limits.usd}`);
    }
    if (limits.tokens !== undefined && spend.tokens >= limits.tokens) {
      return new BudgetExceeded(scope, `${scope} budget exceeded: ${spend.tokens} tokens used of ${limits.tokens}`);
    }
    const seconds = (this.#now() - spend.startedAt) / 1000;
    if (limits.seconds !== undefined && scope !== "attempt" && seconds >= limits.seconds) {
      return new BudgetExceeded(scope, `${scope} budget exceeded: ${Math.round(seconds)} s of ${limits.seconds} s`);
    }
    return undefined;
  }
}

export interface AttemptBudget {
  add(delta: { usage?: Usage; costUsd?: number }): BudgetExceeded | undefined;
  /** The attempt's wall-time budget, applied as its timeout. */
  attemptSeconds: number | undefined;
}
