// The plan's dependencies as integer adjacency arrays (compressed sparse rows), built once and
// shared by validation and the scheduler. Typed arrays instead of per-item lists or Maps: at
// 100,000 items and 300,000 edges this is a few megabytes and every walk is a tight loop.

import type { ItemId, PlanItem } from "./plan.ts";

export interface DependencyGraph {
  readonly size: number;
  /** Every dependency became an edge: no duplicate ids, unknown or self-dependencies. */
  readonly complete: boolean;
  /** Item index by id; for duplicate ids, the first occurrence. */
  readonly indexOf: ReadonlyMap<ItemId, number>;
  /** Item i depends on `depTarget[depStart[i] .. depStart[i+1])`. */
  readonly depStart: Int32Array;
  readonly depTarget: Int32Array;
  /** For each edge, its position in `items[i].dependencies` (for error paths). */
  readonly depSlot: Int32Array;
  /** Item i is depended on by `dependentSource[dependentStart[i] .. dependentStart[i+1])`. */
  readonly dependentStart: Int32Array;
  readonly dependentSource: Int32Array;
}

export interface GraphDefects {
  /** Later items that repeat an earlier id. */
  duplicates: { index: number; first: number }[];
  /** Dependencies naming no item (and not one left out of the import for its own errors). */
  unknown: { index: number; slot: number }[];
  selfDependencies: { index: number; slot: number }[];
}

/**
 * Builds the graph. Edges that cannot be followed (unknown ids, self-dependencies) are left out
 * and returned as defects; `ignoreIds` are ids known to exist but left out of the plan.
 */
export function buildDependencyGraph(
  items: readonly PlanItem[],
  ignoreIds: ReadonlySet<ItemId> = new Set(),
): { graph: DependencyGraph; defects: GraphDefects } {
  const n = items.length;
  const indexOf = new Map<ItemId, number>();
  const defects: GraphDefects = { duplicates: [], unknown: [], selfDependencies: [] };
  for (let i = 0; i < n; i++) {
    const id = (items[i] as PlanItem).id;
    const first = indexOf.get(id);
    if (first === undefined) indexOf.set(id, i);
    else defects.duplicates.push({ index: i, first });
  }

  let edges = 0;
  for (let i = 0; i < n; i++) edges += (items[i] as PlanItem).dependencies.length;
  const depStart = new Int32Array(n + 1);
  const depTarget = new Int32Array(edges);
  const depSlot = new Int32Array(edges);
  const indegree = new Int32Array(n + 1);
  let e = 0;
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    depStart[i] = e;
    const deps = (items[i] as PlanItem).dependencies;
    for (let j = 0; j < deps.length; j++) {
      const dep = deps[j] as ItemId;
      const t = indexOf.get(dep);
      if (t === undefined) {
        dropped++;
        if (!ignoreIds.has(dep)) defects.unknown.push({ index: i, slot: j });
      } else if (t === i) {
        defects.selfDependencies.push({ index: i, slot: j });
      } else {
        depTarget[e] = t;
        depSlot[e] = j;
        indegree[t] = (indegree[t] as number) + 1;
        e++;
      }
    }
  }
  depStart[n] = e;

  // Reverse edges by counting sort on the target.
  const dependentStart = new Int32Array(n + 1);
  for (let t = 0; t < n; t++) dependentStart[t + 1] = (dependentStart[t] as number) + (indegree[t] as number);
  const fill = dependentStart.slice(0, n);
  const dependentSource = new Int32Array(e);
  for (let i = 0; i < n; i++) {
    for (let k = depStart[i] as number; k < (depStart[i + 1] as number); k++) {
      const t = depTarget[k] as number;
      dependentSource[fill[t] as number] = i;
      fill[t] = (fill[t] as number) + 1;
    }
  }

  return {
    graph: {
      size: n,
      complete: dropped === 0 && defects.duplicates.length === 0 && defects.selfDependencies.length === 0,
      indexOf,
      depStart,
      depTarget: depTarget.subarray(0, e),
      depSlot: depSlot.subarray(0, e),
      dependentStart,
      dependentSource,
    },
    defects,
  };
}

/**
 * Kahn's algorithm: item indexes with every item after all its dependencies, or `undefined` when
 * a cycle makes that impossible.
 */
export function topologicalOrder(graph: DependencyGraph): Int32Array | undefined {
  const n = graph.size;
  const waiting = new Int32Array(n);
  const order = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) {
    waiting[i] = (graph.depStart[i + 1] as number) - (graph.depStart[i] as number);
    if (waiting[i] === 0) order[tail++] = i;
  }
  for (let head = 0; head < tail; head++) {
    const t = order[head] as number;
    for (let k = graph.dependentStart[t] as number; k < (graph.dependentStart[t + 1] as number); k++) {
      const d = graph.dependentSource[k] as number;
      waiting[d] = (waiting[d] as number) - 1;
      if (waiting[d] === 0) order[tail++] = d;
    }
  }
  return tail === n ? order : undefined;
}

/**
 * The strongly connected components with more than one item — each is a knot of cycles — in
 * order of their first item. Tarjan's algorithm, iterative: plans are deep enough to overflow
 * the call stack.
 */
export function cyclicComponents(graph: DependencyGraph): number[][] {
  const n = graph.size;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const callNode: number[] = [];
  const callEdge: number[] = [];
  const out: number[][] = [];
  let counter = 0;

  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callNode.push(root);
    callEdge.push(graph.depStart[root] as number);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callNode.length > 0) {
      const top = callNode.length - 1;
      const v = callNode[top] as number;
      const k = callEdge[top] as number;
      if (k < (graph.depStart[v + 1] as number)) {
        callEdge[top] = k + 1;
        const w = graph.depTarget[k] as number;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callNode.push(w);
          callEdge.push(graph.depStart[w] as number);
        } else if (onStack[w] === 1 && (index[w] as number) < (low[v] as number)) {
          low[v] = index[w] as number;
        }
        continue;
      }
      callNode.pop();
      callEdge.pop();
      const parent = callNode[callNode.length - 1];
      if (parent !== undefined && (low[v] as number) < (low[parent] as number)) low[parent] = low[v] as number;
      if (low[v] !== index[v]) continue;
      const component: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort((a, b) => a - b));
    }
  }
  return out.sort((a, b) => (a[0] as number) - (b[0] as number));
}

/**
 * The shortest cycle through `start` inside `component` (breadth-first along dependencies), as
 * item indexes with `start` at both ends, plus the edge slot leaving `start`.
 */
export function cycleThrough(graph: DependencyGraph, start: number, component: readonly number[]): { cycle: number[]; firstSlot: number } {
  const inside = new Set(component);
  const cameFrom = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    for (let k = graph.depStart[v] as number; k < (graph.depStart[v + 1] as number); k++) {
      const w = graph.depTarget[k] as number;
      if (w === start) {
        const path = [start];
        for (let x = v; x !== start; x = cameFrom.get(x) as number) path.push(x);
        const cycle = [start, ...path.slice(1).reverse(), start];
        return { cycle, firstSlot: slotOf(graph, start, cycle[1] as number) };
      }
      if (inside.has(w) && !cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  // Unreachable for a real component; an invariant, not a user error.
  throw new Error(`no cycle through item ${start}`);
}

function slotOf(graph: DependencyGraph, from: number, to: number): number {
  for (let k = graph.depStart[from] as number; k < (graph.depStart[from + 1] as number); k++) {
    if (graph.depTarget[k] === to) return graph.depSlot[k] as number;
  }
  return -1;
}
