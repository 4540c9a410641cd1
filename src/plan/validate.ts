// Validation reports every problem in a plan at once, each at its file and field path, so a user
// fixes the file in one pass instead of one error per run.

import { UserError } from "../domain/errors.ts";
import { buildDependencyGraph, cycleThrough, cyclicComponents, topologicalOrder, type DependencyGraph } from "./dependency-graph.ts";
import { planLocator, type ImportedPlan, type PlanLocator } from "./import/imported-plan.ts";
import type { Plan, PlanItem } from "./plan.ts";
import type { PlanProblem } from "./problem.ts";

export interface PlanValidation {
  /** True when there is no error; warnings alone leave a plan usable. */
  ok: boolean;
  /**
   * Schema problems (and the importer's warnings), an empty plan, duplicate ids, unknown
   * dependencies, self-dependencies, unknown agents, cycles, then the "blocked by" warnings;
   * each kind in file order.
   */
  problems: PlanProblem[];
  errorCount: number;
  warningCount: number;
  /**
   * The dependency graph built for the checks. When the plan is ok, pass it to the scheduler
   * (`new Scheduler(plan, {graph})`) instead of building it a second time.
   */
  graph: DependencyGraph;
}

export interface ValidationOptions {
  /**
   * The agents there are, when the caller knows them (the registry's names): an item naming
   * another one is an error. Without it agent names are not checked.
   */
  agents?: KnownAgents;
}

export interface KnownAgents {
  /** Agents that can run. */
  names: readonly string[];
  /** Agents whose files are broken, with why: naming one is an error that says so. */
  broken?: ReadonlyMap<string, string>;
}

/** Validates an imported plan (with its schema problems and source paths) or a bare plan. */
export function validatePlan(input: ImportedPlan | Plan, options: ValidationOptions = {}): PlanValidation {
  const imported: ImportedPlan =
    "plan" in input ? input : { plan: input, locate: planLocator(), problems: [], skippedIds: [] };
  const { plan, locate } = imported;
  const file = plan.source.file;
  const items = plan.items;
  const { graph, defects } = buildDependencyGraph(items, new Set(imported.skippedIds));
  const problems: PlanProblem[] = [...imported.problems];
  const id = (i: number) => (items[i] as PlanItem).id;
  if (items.length === 0 && !problems.some((p) => p.severity === "error")) {
    problems.push({
      kind: "empty_plan",
      severity: "warning",
      file,
      path: "",
      message: `the plan has no items${plan.source.tag !== undefined ? ` (tag "${plan.source.tag}")` : ""}`,
    });
  }

  for (const { index, first } of defects.duplicates) {
    problems.push({
      kind: "duplicate_id",
      severity: "error",
      file,
      path: `${locate.item(index)}.id`,
      item: id(index),
      message: `duplicate id "${id(index)}" (first used at ${locate.item(first)})`,
    });
  }
  for (const { index, slot } of defects.unknown) {
    const dep = (items[index] as PlanItem).dependencies[slot] as string;
    problems.push({
      kind: "unknown_dependency",
      severity: "error",
      file,
      path: locate.dependency(index, slot),
      item: id(index),
      message: `"${id(index)}" depends on "${dep}", which is not an item in this plan`,
    });
  }
  for (const { index, slot } of defects.selfDependencies) {
    problems.push({
      kind: "self_dependency",
      severity: "error",
      file,
      path: locate.dependency(index, slot),
      item: id(index),
      message: `"${id(index)}" depends on itself`,
    });
  }
  if (options.agents !== undefined) problems.push(...agentProblems(items, locate, file, options.agents));
  // The linear topological sort settles the common case; the component search runs only on failure.
  if (topologicalOrder(graph) === undefined) problems.push(...cycleProblems(graph, items, locate, file));
  problems.push(...blockedByProblems(graph, items, locate, file));

  const errorCount = problems.filter((p) => p.severity === "error").length;
  return { ok: errorCount === 0, problems, errorCount, warningCount: problems.length - errorCount, graph };
}

function cycleProblems(graph: DependencyGraph, items: readonly PlanItem[], locate: PlanLocator, file: string): PlanProblem[] {
  return cyclicComponents(graph).map((component) => {
    const start = component[0] as number;
    const { cycle, firstSlot } = cycleThrough(graph, start, component);
    const ids = cycle.map((i) => (items[i] as PlanItem).id);
    const others = component.length - (cycle.length - 1);
    return {
      kind: "cycle" as const,
      severity: "error" as const,
      file,
      path: firstSlot >= 0 ? locate.dependency(start, firstSlot) : locate.item(start),
      item: ids[0] as string,
      cycle: ids,
      message:
        `dependency cycle: ${ids.join(" → ")} (each depends on the next; none can start)` +
        (others > 0 ? `; ${others} more item${others === 1 ? "" : "s"} are caught in the same knot` : ""),
    };
  });
}

function agentProblems(items: readonly PlanItem[], locate: PlanLocator, file: string, agents: KnownAgents): PlanProblem[] {
  const known = new Set(agents.names);
  const out: PlanProblem[] = [];
  items.forEach((item, i) => {
    if (item.agent === undefined || known.has(item.agent)) return;
    const broken = agents.broken?.get(item.agent);
    out.push({
      kind: "unknown_agent",
      severity: "error",
      file,
      path: locate.field(i, "agent"),
      item: item.id,
      message:
        broken !== undefined
          ? `"${item.id}" names agent "${item.agent}", whose file is broken: ${broken}`
          : `"${item.id}" names agent "${item.agent}", which does not exist; the agents are: ${[...known].sort().join(", ")}`,
    });
  });
  return out;
}

/**
 * Items that can never run because something they depend on is blocked. Passed items stop the
 * walk: work already done does not need its dependencies again.
 */
function blockedByProblems(graph: DependencyGraph, items: readonly PlanItem[], locate: PlanLocator, file: string): PlanProblem[] {
  const n = graph.size;
  const root = new Int32Array(n).fill(-1);
  const via = new Int32Array(n).fill(-1);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((items[i] as PlanItem).status === "blocked") {
      root[i] = i;
      queue.push(i);
    }
  }
  const reached: number[] = [];
  for (let head = 0; head < queue.length; head++) {
    const b = queue[head] as number;
    for (let k = graph.dependentStart[b] as number; k < (graph.dependentStart[b + 1] as number); k++) {
      const d = graph.dependentSource[k] as number;
      if (root[d] !== -1 || (items[d] as PlanItem).status === "passed") continue;
      root[d] = root[b] as number;
      via[d] = b;
      queue.push(d);
      reached.push(d);
    }
  }
  reached.sort((a, b) => a - b);
  return reached.map((d) => {
    const item = items[d] as PlanItem;
    const blocker = items[root[d] as number] as PlanItem;
    const direct = via[d] === root[d];
    const reason = blocker.blocked_reason ? ` (${blocker.blocked_reason})` : "";
    const slot = item.dependencies.indexOf((items[via[d] as number] as PlanItem).id);
    return {
      kind: "blocked_by" as const,
      severity: "warning" as const,
      file,
      path: slot >= 0 ? locate.dependency(d, slot) : locate.item(d),
      item: item.id,
      message: direct
        ? `"${item.id}" is blocked by "${blocker.id}"${reason}; it cannot run until that is unblocked`
        : `"${item.id}" is blocked by "${blocker.id}"${reason} through "${(items[via[d] as number] as PlanItem).id}"; it cannot run until that is unblocked`,
    };
  });
}

/**
 * The `bad_plan` error for a plan with errors: every problem listed, errors first, then what to
 * do. Warnings are listed too, since fixing the file is the moment to see them.
 */
export function planValidationError(validation: PlanValidation, file: string): UserError {
  const lines = validation.problems.map((p) => `  ${p.severity === "warning" ? "warning: " : ""}${p.path === "" ? "" : `${p.path}: `}${p.message}`);
  const count = `${validation.errorCount} problem${validation.errorCount === 1 ? "" : "s"}`;
  const errors = validation.problems.filter((p) => p.severity === "error" && p.path !== "");
  const first = errors.length === 1 ? errors[0] : undefined;
  return new UserError({
    reason: "bad_plan",
    message: `${count} in the plan:\n${lines.join("\n")}`,
    file,
    // The field, when there is one; several are listed in the message.
    ...(first ? { field: first.path } : {}),
    fix: `correct each field listed in ${file} (for a cycle, remove one of its dependencies; for an unknown agent, name one listed or add its file), then import the plan again`,
  });
}

/** Throws the `bad_plan` error when the plan has errors; returns the validation otherwise. */
export function assertValidPlan(input: ImportedPlan | Plan, options: ValidationOptions = {}): PlanValidation {
  const validation = validatePlan(input, options);
  if (!validation.ok) throw planValidationError(validation, ("plan" in input ? input.plan : input).source.file);
  return validation;
}
