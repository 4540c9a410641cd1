// The runtime contract's result types. Every runtime (command, claude, codex, ...) ends an attempt
// with one of these outcomes, decided from the protocol's own facts — never from the exit code alone.

export const OUTCOME_STATUSES = ["succeeded", "failed", "cancelled", "timed_out", "rate_limited", "needs_input"] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 });

/** Where a budget applies: one attempt, one plan item (all its attempts), one task, one process run. */
export const BUDGET_SCOPES = ["attempt", "item", "task", "run"] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

/**
 * Why an attempt failed, when the reason is not the agent's own work. Policies decide on this,
 * never on the text of a message:
 * - budget_exceeded: a budget was crossed (`scope` says which); nothing more may start in it
 * - authentication: the provider refused the credentials (401, 403): check the key
 * - configuration: the provider refused the request itself (400, 404): model name, base URL
 * - not_installed: the runtime's program could not be found or started
 * - circuit_open: the runtime's circuit breaker is open after repeated failures
 * - usage_limit: the provider's usage limit (a subscription's hours or week, a quota, a rate limit
 *   whose wait is longer than retrying is worth) is reached; `resetsAt` (ISO time) when it said
 *   when it resets. Another runtime may go on with the work meanwhile.
 */
export type OutcomeFailure =
  | { kind: "budget_exceeded"; scope: BudgetScope }
  | { kind: "authentication"; status: number | null }
  | { kind: "configuration"; status: number | null }
  | { kind: "not_installed" }
  | { kind: "circuit_open" }
  | { kind: "usage_limit"; resetsAt: string | null };

export interface AttemptOutcome {
  status: OutcomeStatus;
  /** Set when the failure is about the setup or a policy rather than the work (see OutcomeFailure). */
  failure?: OutcomeFailure;
  /** One or two lines a person can read: what the agent did, or why it did not. */
  summary: string;
  /** Why it failed, when it did. */
  error?: string;
  exitCode: number | null;
  signal: string | null;
  usage: Usage;
  /** Dollars: reported by the CLI, or computed from the price table; undefined when unknown. */
  costUsd?: number;
  /** The model that did the work, as the CLI reported it (for the price table and usage reports). */
  model?: string;
  /** The agent's own session id, for continuation. */
  sessionId?: string;
  /** Whether trying the same work again could help (5xx, rate limits), as opposed to 4xx/auth. */
  retryable: boolean;
  /** The provider's retry hint, when it gave one. */
  retryAfterMs?: number;
  durationMs: number;
  /** True when output beyond the cap was dropped from the transcript. */
  outputTruncated: boolean;
  /** Files the attempt changed, relative to the workspace, when known. */
  changedFiles?: string[];
}

/** Normalized events every runtime emits; the last one is always `finished`. */
export type AgentEvent =
  | { type: "started"; pid: number; pgid: number; command: string; sessionId?: string; model?: string }
  | { type: "message"; role: "assistant" | "user" | "system"; text: string }
  | { type: "tool_call"; id: string; name: string; input: unknown }
  | { type: "tool_result"; id: string; ok: boolean; output: string }
  | { type: "file_change"; path: string; kind: "add" | "modify" | "delete" | "unknown" }
  | { type: "usage"; usage: Usage; costUsd?: number }
  | { type: "retry"; attempt: number; delayMs: number; reason: string }
  | { type: "stderr"; text: string }
  | { type: "finished"; outcome: AttemptOutcome };

export type AgentEventType = AgentEvent["type"];

/** An attempt that failed before or outside the agent's own work (not installed, no budget, a crash). */
export function failedOutcome(error: string, summary: string = error, failure?: OutcomeFailure): AttemptOutcome {
  return {
    status: "failed", summary, error, exitCode: null, signal: null, usage: { ...ZERO_USAGE }, retryable: false, durationMs: 0, outputTruncated: false,
    ...(failure ? { failure } : {}),
  };
}
