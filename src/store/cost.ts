// What the attempts cost, summed by what people ask about: item, agent, model, runtime, day. Summed
// in SQL over the outcomes the journal kept, so a plan of thousands of attempts is one scan.

import type { Dialect, SqlReader } from "./sql.ts";

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

function keys(d: Dialect) {
  return {
    by_item: "coalesce(item_id, 'task ' || task_id)",
    by_agent: "agent",
    by_model: `coalesce(${d.jsonText("outcome", ["model"])}, 'unknown')`,
    by_runtime: "runtime",
    by_day: "substr(started_at, 1, 10)",
  } as const;
}

function sums(d: Dialect): string {
  return `coalesce(sum(${d.jsonNumber("outcome", ["costUsd"])}), 0) AS usd,
  coalesce(sum(${d.jsonNumber("outcome", ["usage", "inputTokens"])} + ${d.jsonNumber("outcome", ["usage", "outputTokens"])}), 0) AS tokens,
  count(*) AS attempts`;
}

export async function costBreakdown(db: SqlReader): Promise<CostBreakdown> {
  const SUMS = sums(db.dialect);
  const KEYS = keys(db.dialect);
  const total = (await db.get<Omit<CostRow, "key">>(`SELECT ${SUMS} FROM attempts`))!;
  // ORDER BY the key's position: Postgres does not order by an output alias inside an expression.
  const rows = async (expr: string) => await db.all<CostRow>(`SELECT ${expr} AS key, ${SUMS} FROM attempts GROUP BY 1 ORDER BY usd DESC, attempts DESC, 1`);
  return {
    total_usd: total.usd, tokens: total.tokens, attempts: total.attempts,
    by_item: await rows(KEYS.by_item), by_agent: await rows(KEYS.by_agent), by_model: await rows(KEYS.by_model), by_runtime: await rows(KEYS.by_runtime),
    // Days in order: a time series, not a ranking.
    by_day: (await rows(KEYS.by_day)).sort((a, b) => a.key.localeCompare(b.key)),
  };
}
