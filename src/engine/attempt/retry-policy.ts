// When to try the same work again, and after how long. Retryable outcomes are the ones where the
// same request can succeed later: 5xx, rate limits, timeouts. Auth failures and other 4xx, a
// permission denial (needs_input), a cancel, or an agent that simply failed its task are not.

import type { AttemptOutcome } from "../../domain/outcome.ts";

export interface RetrySettings {
  /** Retries after the first attempt, per runtime. */
  max: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { max: 2, baseDelayMs: 1000, maxDelayMs: 60_000 };

export function shouldRetry(outcome: AttemptOutcome, retriesSoFar: number, settings: RetrySettings): boolean {
  if (retriesSoFar >= settings.max) return false;
  if (outcome.status === "cancelled" || outcome.status === "needs_input" || outcome.status === "succeeded") return false;
  return outcome.retryable || outcome.status === "rate_limited";
}

/**
 * Exponential backoff (base · 2^n, capped), unless the provider said how long to wait: its hint
 * wins, capped by the same ceiling so a bogus hint cannot park the loop for hours.
 */
export function retryDelayMs(outcome: AttemptOutcome, retriesSoFar: number, settings: RetrySettings): number {
  if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs >= 0) return Math.min(outcome.retryAfterMs, settings.maxDelayMs);
  return Math.min(settings.baseDelayMs * 2 ** retriesSoFar, settings.maxDelayMs);
}

/** Whether a failure says the runtime (provider, CLI) is unhealthy, as opposed to the task being hard. */
export function isRuntimeFailure(outcome: AttemptOutcome): boolean {
  return outcome.retryable || outcome.status === "rate_limited";
}
