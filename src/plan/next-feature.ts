// Seed 004's single next feature, for `viable plan next`: by priority (lower first, stable, so
// file order breaks ties), the first item that has not passed, is not blocked, and whose every
// dependency exists and has passed. The parallel loop uses the scheduler instead.

import type { Plan, PlanItem } from "./plan.ts";

export interface NextFeatureOptions {
  /** Offer items someone else has claimed (`--include-claimed`). Default: leave them alone. */
  includeClaimed?: boolean;
}

export function nextFeature(plan: Plan, options: NextFeatureOptions = {}): PlanItem | undefined {
  const passed = new Set<string>();
  for (const item of plan.items) if (item.status === "passed") passed.add(item.id);
  // Array.prototype.sort is stable, like Python's sorted().
  const byPriority = [...plan.items].sort((a, b) => a.priority - b.priority);
  return byPriority.find(
    (item) =>
      item.status !== "passed" &&
      item.status !== "blocked" &&
      // Not in the seed (it ran one feature at a time): an item already running is not "next".
      item.status !== "running" &&
      (options.includeClaimed === true || item.claimed === undefined) &&
      item.dependencies.every((dep) => passed.has(dep)),
  );
}
