// What the attempts cost, summed by what people ask about: item, agent, model, runtime, day. Summed
// in SQL over the outcomes the journal kept, so a plan of thousands of attempts is one scan.

import type { DatabaseSync } from "node:sqlite";

export interface CostRow {
  key: string;
  usd: number;
  tokens: number;
  attempts: number;
}

export interface CostBreakdown {
  total_usd: number;
  tokens: number;
  attempts: number;
  by_item: CostRow[];
  by_agent: CostRow[];
  by_model: CostRow[];
  by_runtime: CostRow[];
  by_day: CostRow[];
}

const KEYS = {
  by_item: "coalesce(item_id, 'task ' || task_id)",
  by_agent: "agent",
  by_model: "coalesce(json_extract(outcome, '$.model'), 'unknown')",
  by_runtime: "runtime",
  by_day: "substr(started_at, 1, 10)",
} as const;

const SUMS = `coalesce(sum(json_extract(outcome, '$.costUsd')), 0) AS usd,
  coalesce(sum(json_extract(outcome, '$.usage.inputTokens') + json_extract(outcome, '$.usage.outputTokens')), 0) AS tokens,
  count(*) AS attempts`;

export function costBreakdown(db: DatabaseSync): CostBreakdown {
  const total = db.prepare(`SELECT ${SUMS} FROM attempts`).get() as unknown as Omit<CostRow, "key">;
  const rows = (expr: string) => db.prepare(`SELECT ${expr} AS key, ${SUMS} FROM attempts GROUP BY 1 ORDER BY usd DESC, attempts DESC, key`).all() as unknown as CostRow[];
  return {
    total_usd: total.usd, tokens: total.tokens, attempts: total.attempts,
    by_item: rows(KEYS.by_item), by_agent: rows(KEYS.by_agent), by_model: rows(KEYS.by_model), by_runtime: rows(KEYS.by_runtime),
    // Days in order: a time series, not a ranking.
    by_day: rows(KEYS.by_day).sort((a, b) => a.key.localeCompare(b.key)),
  };
}
