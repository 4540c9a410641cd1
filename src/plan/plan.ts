// A plan is a DAG of work items. It is imported from someone else's format (feature_list.json,
// Task Master, beads) and exported back to it, so this model holds only what the loop needs; the
// source file keeps everything else and export writes back into it.

import { z } from "zod";
import type { Candidate } from "../domain/candidates.ts";
import { RUNTIME_NAMES } from "../domain/runtime.ts";

export type ItemId = string;

export const ITEM_STATUSES = ["pending", "running", "passed", "blocked", "failed"] as const;
/**
 * - pending: not started, or waiting on its dependencies
 * - running: an attempt is under way
 * - passed: verified and merged — only the engine sets this, after the merge
 * - blocked: will not run until someone intervenes (marked in the source, or blocked by a dependency)
 * - failed: the last attempt failed; it may be retried
 */
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const COMPLEXITY_LEVELS = ["low", "medium", "high"] as const;
export type ComplexityLevel = (typeof COMPLEXITY_LEVELS)[number];

export const PLAN_FORMATS = ["feature-list", "taskmaster", "beads"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export interface PlanItem {
  id: ItemId;
  name: string;
  description: string;
  category: string;
  /** Lower runs first (seed 004). */
  priority: number;
  dependencies: ItemId[];
  /** Acceptance criteria, in words, for the agent. */
  tests: string[];
  /** Shell commands that must pass in the workspace, and again after the merge. */
  verify: string[];
  /** The agent to run, when the plan names one. */
  agent?: string;
  /** Candidates to run in parallel, the best result merged (loop.best_of): N of its agent ... */
  best_of?: number;
  /** ... or these. */
  candidates?: Candidate[];
  /** Explicit complexity from the source; when absent it is computed (item-complexity.ts). */
  complexity?: ComplexityLevel;
  status: ItemStatus;
  attempts: number;
  blocked_reason?: string;
  /**
   * The group item this one belongs to (a Task Master parent task, a beads epic). The group
   * depends on all its members, so "depends on the group" means "on all of it".
   */
  parent?: ItemId;
  /**
   * Someone else's current work, as the source says (Task Master `in-progress` or `review`,
   * beads `in_progress`, `hooked` or `pinned`, a feature list's `in-progress`): why, in words.
   * The loop and `plan next` leave a claimed item alone unless asked to take it; its dependents
   * wait for it like for any unfinished item.
   */
  claimed?: string;
}

export interface PlanSource {
  format: PlanFormat;
  /** The file the plan was imported from, as the user named it. */
  file: string;
  /** Task Master's tagged files: the tag the plan is, which export writes back to and only to. */
  tag?: string;
}

export interface Plan {
  version: 1;
  source: PlanSource;
  items: PlanItem[];
}

// Persisted plans (the engine stores one per loop) are validated on read like any other file.
export const PlanItemSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  priority: z.number(),
  dependencies: z.array(z.string()),
  tests: z.array(z.string()),
  verify: z.array(z.string()),
  agent: z.string().optional(),
  best_of: z.number().int().min(1).optional(),
  candidates: z.array(z.object({ agent: z.string().optional(), runtime: z.enum(RUNTIME_NAMES).optional(), model: z.string().optional() })).optional(),
  complexity: z.enum(COMPLEXITY_LEVELS).optional(),
  status: z.enum(ITEM_STATUSES),
  attempts: z.number().int().nonnegative(),
  blocked_reason: z.string().optional(),
  parent: z.string().optional(),
  claimed: z.string().optional(),
});

export const PlanSchema = z.object({
  version: z.literal(1),
  source: z.object({ format: z.enum(PLAN_FORMATS), file: z.string(), tag: z.string().optional() }),
  items: z.array(PlanItemSchema),
});

/** Seed 004's default priority for a feature that gives none. */
export const DEFAULT_PRIORITY = 99;

export function newItem(fields: Pick<PlanItem, "id" | "name"> & Partial<PlanItem>): PlanItem {
  return {
    description: "",
    category: "",
    priority: DEFAULT_PRIORITY,
    dependencies: [],
    tests: [],
    verify: [],
    status: "pending",
    attempts: 0,
    ...fields,
  };
}

/** Claimed items that have not passed: what the loop and `plan next` leave alone by default. */
export function claimedItems(plan: Plan): PlanItem[] {
  return plan.items.filter((i) => i.claimed !== undefined && i.status !== "passed" && i.status !== "blocked");
}

/**
 * A claim covers the whole of the claimed work: the subtasks of an in-progress Task Master task
 * and the children of a hooked beads epic are that worker's next steps, not free work. Marks
 * every unfinished, unclaimed item under a claimed parent (however deep) as claimed too.
 */
export function inheritClaims(items: PlanItem[]): void {
  const byId = new Map(items.map((i) => [i.id, i]));
  for (const item of items) {
    if (item.claimed !== undefined || item.status === "passed" || item.status === "blocked") continue;
    const seen = new Set([item.id]);
    for (let up = item.parent === undefined ? undefined : byId.get(item.parent); up !== undefined && !seen.has(up.id); up = up.parent === undefined ? undefined : byId.get(up.parent)) {
      seen.add(up.id);
      if (up.claimed !== undefined && up.status !== "passed") {
        item.claimed = `part of "${up.id}", ${up.claimed}`;
        break;
      }
    }
  }
}
