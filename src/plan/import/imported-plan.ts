// What an importer hands to validation: the plan, where each item came from in the file (so every
// problem can name its exact field), and the schema problems it already found. An importer never
// stops at the first bad entry; it leaves it out and reports it, so validation can report the rest.

import type { Plan } from "../plan.ts";
import type { PlanProblem } from "../problem.ts";

/**
 * Where things are in the source file. Functions rather than precomputed strings: a 100,000-item
 * plan would otherwise carry 400,000 path strings that are only needed when something is wrong.
 */
export interface PlanLocator {
  /** Item `i`'s own path, e.g. `features[3]`. */
  item(i: number): string;
  /** Where item `i`'s `dependencies[j]` is written, e.g. `features[3].dependencies[1]`. */
  dependency(i: number, j: number): string;
  /** Where item `i`'s field `name` is (or would be) written, e.g. `features[3].agent`. */
  field(i: number, name: string): string;
}

export interface ImportedPlan {
  plan: Plan;
  /** Indexes are those of `plan.items`. */
  locate: PlanLocator;
  /** Schema problems found while importing; entries with errors are left out of the plan. */
  problems: PlanProblem[];
  /**
   * Ids of entries left out for schema errors, when their id could still be read, so that their
   * dependents are not also reported as depending on an unknown item.
   */
  skippedIds: string[];
}

/** The locator for a plan that was not imported (or was persisted as a Plan). */
export function planLocator(): PlanLocator {
  return { item: (i) => `items[${i}]`, dependency: (i, j) => `items[${i}].dependencies[${j}]`, field: (i, name) => `items[${i}].${name}` };
}
