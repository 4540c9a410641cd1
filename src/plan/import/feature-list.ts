// Seed 004's feature_list.json: {"features": [{id, name, description, category, priority, passes,
// blocked, dependencies[], tests[], complexity?}]}. Viable also reads `verify`, `agent` and
// `blocked_reason` when a file has them. Defaults follow the seed's Python (`priority` 99, missing
// lists empty, missing flags false).

import { z } from "zod";
import { COMPLEXITY_LEVELS, DEFAULT_PRIORITY, type ComplexityLevel, type Plan, type PlanItem } from "../plan.ts";
import { schemaProblems, type PlanProblem } from "../problem.ts";
import type { ImportedPlan, PlanLocator } from "./imported-plan.ts";
import { detectJsonStyle, isRecord, parseJsonFile, stringifyJson } from "./json-text.ts";

const FileSchema = z.looseObject({ features: z.array(z.unknown()) });

// Loose: fields Viable does not know stay in the file and survive export. No `.default()`s: the
// item is built from the input object, not from zod's copy of it (see below), so the defaults
// live in `toItem`.
const FeatureSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().optional(),
  category: z.string().optional(),
  priority: z.number().optional(),
  passes: z.boolean().optional(),
  blocked: z.boolean().optional(),
  dependencies: z.array(z.string()).optional(),
  tests: z.array(z.string()).optional(),
  // Any word: the seed honours high/medium/low in any case and ignores anything else.
  complexity: z.string().optional(),
  verify: z.array(z.string()).optional(),
  agent: z.string().optional(),
  blocked_reason: z.string().optional(),
});
type Feature = z.infer<typeof FeatureSchema>;

export function importFeatureList(text: string, file: string): ImportedPlan {
  return importFeatureListData(parseJsonFile(text, file), file);
}

export function importFeatureListData(data: unknown, file: string): ImportedPlan {
  const source = { format: "feature-list" as const, file };
  const envelope = FileSchema.safeParse(data);
  if (!envelope.success) {
    return { plan: { version: 1, source, items: [] }, locate: locator([]), problems: schemaProblems(envelope.error, file, ""), skippedIds: [] };
  }

  const items: PlanItem[] = [];
  const featureIndex: number[] = [];
  const problems: PlanProblem[] = [];
  const skippedIds: string[] = [];
  const features = envelope.data.features;
  for (let i = 0; i < features.length; i++) {
    const raw = features[i];
    if (!isPlainFeature(raw)) {
      const checked = FeatureSchema.safeParse(raw);
      if (!checked.success) {
        problems.push(...schemaProblems(checked.error, file, `features[${i}]`));
        if (isRecord(raw) && typeof raw.id === "string") skippedIds.push(raw.id);
        continue;
      }
    }
    // The item is built from the input, not from zod's output: that is a deep copy, and keeping
    // it would double the memory of a large plan.
    items.push(toItem(raw as Feature, file));
    featureIndex.push(i);
  }
  return { plan: { version: 1, source, items }, locate: locator(featureIndex), problems, skippedIds };
}

/**
 * The everyday case of `FeatureSchema`, checked directly: zod builds a copy of every object it
 * checks, which at 100,000 features costs more time and memory than the rest of the import.
 * This accepts nothing the schema rejects (a test holds the two together); whatever it does not
 * accept goes to zod, which decides and words the errors.
 */
export function isPlainFeature(v: unknown): boolean {
  return (
    isRecord(v) &&
    typeof v.id === "string" &&
    v.id.length > 0 &&
    typeof v.name === "string" &&
    optional(v.description, isString) &&
    optional(v.category, isString) &&
    optional(v.priority, isFiniteNumber) &&
    optional(v.passes, isBoolean) &&
    optional(v.blocked, isBoolean) &&
    optional(v.dependencies, isStrings) &&
    optional(v.tests, isStrings) &&
    optional(v.complexity, isString) &&
    optional(v.verify, isStrings) &&
    optional(v.agent, isString) &&
    optional(v.blocked_reason, isString)
  );
}

const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isString = (v: unknown) => typeof v === "string";
const isBoolean = (v: unknown) => typeof v === "boolean";
const isFiniteNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const isStrings = (v: unknown) => Array.isArray(v) && v.every(isString);

/** The schema itself, for the test that keeps `isPlainFeature` within it. */
export const FEATURE_SCHEMA = FeatureSchema;

function toItem(f: Feature, file: string): PlanItem {
  const item: PlanItem = {
    id: f.id,
    name: f.name,
    description: f.description ?? "",
    category: f.category ?? "",
    priority: f.priority ?? DEFAULT_PRIORITY,
    dependencies: f.dependencies ?? [],
    tests: f.tests ?? [],
    verify: f.verify ?? [],
    // `passes` wins over `blocked`: finished work stays finished.
    status: f.passes === true ? "passed" : f.blocked === true ? "blocked" : "pending",
    attempts: 0,
  };
  if (f.agent !== undefined) item.agent = f.agent;
  const complexity = f.complexity?.toLowerCase();
  if ((COMPLEXITY_LEVELS as readonly string[]).includes(complexity ?? "")) item.complexity = complexity as ComplexityLevel;
  if (item.status === "blocked") item.blocked_reason = f.blocked_reason ?? `marked blocked in ${file}`;
  return item;
}

function locator(featureIndex: readonly number[]): PlanLocator {
  const at = (i: number) => `features[${featureIndex[i] ?? i}]`;
  return { item: at, dependency: (i, j) => `${at(i)}.dependencies[${j}]` };
}

/**
 * Writes the plan's results into the original file: `passes` is true only for items that passed
 * (a failed item stays false so the next run retries it), `blocked` for blocked ones. Everything
 * else in the file is kept as it was; items the file does not have are appended.
 */
export function exportFeatureList(plan: Plan, original?: string): string {
  if (original === undefined) return stringifyJson({ features: plan.items.map(toFeature) });
  const data = parseJsonFile(original, plan.source.file);
  if (!isRecord(data) || !Array.isArray(data.features)) return stringifyJson({ features: plan.items.map(toFeature) }, detectJsonStyle(original));

  const byId = new Map(plan.items.map((item) => [item.id, item]));
  const written = new Set<string>();
  for (const feature of data.features as unknown[]) {
    if (!isRecord(feature) || typeof feature.id !== "string") continue;
    const item = byId.get(feature.id);
    if (item === undefined || written.has(item.id)) continue;
    written.add(item.id);
    writeResult(feature, item);
  }
  const added = plan.items.filter((item) => !written.has(item.id)).map(toFeature);
  const features = [...(data.features as unknown[]), ...added];
  return stringifyJson({ ...data, features }, detectJsonStyle(original));
}

function writeResult(feature: Record<string, unknown>, item: PlanItem): void {
  feature.passes = item.status === "passed";
  const blocked = item.status === "blocked";
  // A reason is worth writing when the loop blocked the feature; one the file already marked
  // blocked without a reason keeps it that way (its reason was made up on import).
  const writeReason = blocked && item.blocked_reason !== undefined && (feature.blocked !== true || "blocked_reason" in feature);
  // Files that never used `blocked` do not grow one for every feature.
  if (blocked || "blocked" in feature) feature.blocked = blocked;
  if (writeReason) feature.blocked_reason = item.blocked_reason;
  else if (!blocked) delete feature.blocked_reason;
}

function toFeature(item: PlanItem): Record<string, unknown> {
  const feature: Record<string, unknown> = {
    id: item.id,
    name: item.name,
    description: item.description,
    category: item.category,
    priority: item.priority,
    passes: false,
    blocked: false,
    dependencies: item.dependencies,
    tests: item.tests,
  };
  if (item.complexity !== undefined) feature.complexity = item.complexity;
  if (item.verify.length > 0) feature.verify = item.verify;
  if (item.agent !== undefined) feature.agent = item.agent;
  writeResult(feature, item);
  return feature;
}
