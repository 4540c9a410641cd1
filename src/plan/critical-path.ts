// The two orderings the scheduler fixes once per run: each item's remaining critical path, and
// from it the total dispatch order (priority, then longer critical path, then id).

import type { DependencyGraph } from "./dependency-graph.ts";
import type { ItemId, PlanItem } from "./plan.ts";

/** Expected durations: a map by id, or a function of the item; undefined means "no estimate". */
export type Weights = ReadonlyMap<ItemId, number> | ((item: PlanItem) => number | undefined);

/**
 * Each item's weight plus the heaviest chain of its dependents, in one pass over the reverse
 * topological order. Passed items weigh nothing: that work is done.
 */
export function criticalPaths(
  graph: DependencyGraph,
  order: Int32Array,
  items: readonly PlanItem[],
  weights: Weights | undefined,
): Float64Array {
  const weightOf = (item: PlanItem): number => {
    const w = weights === undefined ? undefined : typeof weights === "function" ? weights(item) : weights.get(item.id);
    return w !== undefined && Number.isFinite(w) && w >= 0 ? w : 1;
  };
  const cp = new Float64Array(graph.size);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k] as number;
    let longest = 0;
    for (let e = graph.dependentStart[i] as number; e < (graph.dependentStart[i + 1] as number); e++) {
      const d = cp[graph.dependentSource[e] as number] as number;
      if (d > longest) longest = d;
    }
    const item = items[i] as PlanItem;
    cp[i] = (item.status === "passed" ? 0 : weightOf(item)) + longest;
  }
  return cp;
}

/** Item indexes in dispatch order: priority, then longer critical path, then id. */
export function dispatchOrder(items: readonly PlanItem[], cp: Float64Array): Int32Array {
  const n = items.length;
  const priority = new Float64Array(n);
  for (let i = 0; i < n; i++) priority[i] = (items[i] as PlanItem).priority;
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const p = (priority[a] as number) - (priority[b] as number);
    if (p !== 0) return p;
    const c = (cp[b] as number) - (cp[a] as number);
    if (c !== 0) return c;
    const ia = (items[a] as PlanItem).id;
    const ib = (items[b] as PlanItem).id;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  });
}

/**
 * The plan's critical path as ids, first to last: the chain of unfinished work that bounds how soon
 * the plan can end (every item weighing one). Empty when the plan has a cycle or nothing is left.
 */
export function criticalChain(graph: DependencyGraph, order: Int32Array | undefined, items: readonly PlanItem[]): ItemId[] {
  if (!order) return [];
  const cp = criticalPaths(graph, order, items, undefined);
  let at = -1;
  for (let i = 0; i < items.length; i++) if ((items[i] as PlanItem).status !== "passed" && (at < 0 || (cp[i] as number) > (cp[at] as number))) at = i;
  const chain: ItemId[] = [];
  while (at >= 0 && (items[at] as PlanItem).status !== "passed") {
    chain.push((items[at] as PlanItem).id);
    let next = -1;
    for (let e = graph.dependentStart[at] as number; e < (graph.dependentStart[at + 1] as number); e++) {
      const d = graph.dependentSource[e] as number;
      if (next < 0 || (cp[d] as number) > (cp[next] as number)) next = d;
    }
    at = next;
  }
  return chain;
}
