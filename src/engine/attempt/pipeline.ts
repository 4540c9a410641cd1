// The attempt pipeline: what `viable run`, `viable loop` and everything later use to run agents.
// Built once per command from the project's config, it holds what lives for the whole process —
// the circuit breakers, the budgets, the retry settings, the runtimes — so every path gets the same
// policies. `runAgent` (run-agent.ts) is its one entry point.

import type { ViableConfig } from "../../config/config.ts";
import type { Runtime, RuntimeName } from "../../domain/runtime.ts";
import type { SupervisionStrategy } from "../../process/supervise-process.ts";
import type { Journal } from "../../store/journal.ts";
import type { Store } from "../../store/store.ts";
import type { YesNoPrompt } from "../../domain/permissions.ts";
import { permissionBroker, type BrokerContext } from "../permission-broker.ts";
import { BudgetTracker } from "./budget.ts";
import { CircuitBreakers } from "./circuit-breaker.ts";
import { RuntimeLimits } from "./runtime-limits.ts";
import type { RetrySettings } from "./retry-policy.ts";
import type { AttemptEnvironment } from "./run-attempt.ts";

export interface PipelineOptions {
  journal: Journal;
  config: ViableConfig;
  /** The project's runtimes (agents/runtimes.ts); the caller closes them. */
  runtime: (name: RuntimeName) => Runtime;
  transcriptsDir: string;
  now: () => Date;
  /** See AttemptEnvironment.startRecord. Default "commit". */
  startRecord?: "commit" | "stage";
  /** How the command's checks and setup hooks are started (the runtimes' helpers, when pooled). */
  processes?: Pick<SupervisionStrategy, "spawner" | "leftovers">;
  /** Brokered permissions (config `permissions`): the store its questions are recorded in. */
  store?: Store;
  /** At a terminal: brokered requests are asked there too (whichever answer comes first holds). */
  ask?: YesNoPrompt;
}

export class AttemptPipeline {
  readonly env: AttemptEnvironment;
  readonly runtime: (name: RuntimeName) => Runtime;
  readonly breakers: CircuitBreakers;
  readonly budget: BudgetTracker;
  /** Runtimes at their provider's usage limit, for every agent of this process. */
  readonly limits: RuntimeLimits;
  readonly retry: RetrySettings;
  readonly processes: Pick<SupervisionStrategy, "spawner" | "leftovers">;
  #seq = 0;
  readonly #attemptNos = new Map<string, number>();

  constructor(options: PipelineOptions) {
    const { config } = options;
    const rules = config.permissions;
    const store = options.store;
    this.env = {
      journal: options.journal, config, transcriptsDir: options.transcriptsDir, now: options.now, startRecord: options.startRecord ?? "commit",
      ...(rules && store ? { permissions: (ctx: BrokerContext) => permissionBroker(store, { allow: rules.allow, deny: rules.deny, ask: rules.ask }, rules.ask_timeout, ctx, options.ask) } : {}),
    };
    this.runtime = options.runtime;
    this.processes = options.processes ?? {};
    this.breakers = new CircuitBreakers({ failures: config.circuit_breaker.failures, successes: config.circuit_breaker.successes, resetMs: config.circuit_breaker.reset_ms });
    this.budget = new BudgetTracker(config.budgets);
    this.limits = new RuntimeLimits(options.now);
    this.retry = { max: config.retries.max, baseDelayMs: config.retries.base_delay_ms, maxDelayMs: config.retries.max_delay_ms };
  }

  get config(): ViableConfig {
    return this.env.config;
  }

  /**
   * The next attempt's id and number. The id starts with the task id (a plan loop's run id), so
   * everything an attempt starts can be found by that prefix even if its own row never landed.
   */
  nextAttempt(taskId: string, itemId: string | undefined, agent: string): { attemptId: string; attemptNo: number } {
    const key = `${taskId}\u0000${itemId ?? ""}\u0000${agent}`;
    const attemptNo = (this.#attemptNos.get(key) ?? 0) + 1;
    this.#attemptNos.set(key, attemptNo);
    return { attemptId: `${taskId}-${++this.#seq}-${agent.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 40)}`, attemptNo };
  }
}
