// Cost when a CLI does not report it: tokens times the price table in config (dollars per million
// tokens). Unknown models give no cost rather than a made-up one.

import type { Usage } from "../../domain/outcome.ts";

export interface ModelPrice {
  input: number;
  output: number;
  cached_input?: number;
}

export function costOf(usage: Usage, model: string | undefined, prices: Record<string, ModelPrice>): number | undefined {
  if (!model) return undefined;
  const price = prices[model] ?? Object.entries(prices).find(([name]) => model.startsWith(name))?.[1];
  if (!price) return undefined;
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  return (uncached * price.input + usage.cachedInputTokens * (price.cached_input ?? price.input) + usage.outputTokens * price.output) / 1_000_000;
}
