// feature_list.json, in the shapes its tools and agents write it:
//
// - seed 004's `{"features": [{id, name, description, category, priority, passes, blocked,
//   dependencies[], tests[], complexity?}]}`, plus `verify`, `agent` and `blocked_reason`;
// - Anthropic's autonomous-coding harness: a top-level array of `{category, description, steps,
//   passes}` with no id and no name;
// - and what people grow from those: `title` or only a description instead of `name`, `status`
//   words instead of `passes` ("passing", "complete", "done-uncommitted", "in-progress", ...),
//   priorities as words ("P0", "high"), numeric ids, `dependsOn`, `acceptance` or `verification`
//   lists, and fields of their own (phase, files, evidence) — which export leaves as they are.
//
// A feature without an id gets one from a hash of its category and text, so that its result
// survives a re-import when features are inserted or reordered. Defaults follow the seed's
// Python (`priority` 99, missing lists empty, missing flags false).

import { createHash } from "node:crypto";
import { z } from "zod";
import { MAX_CANDIDATES } from "../../domain/candidates.ts";
import { RUNTIME_NAMES } from "../../domain/runtime.ts";
import { COMPLEXITY_LEVELS, DEFAULT_PRIORITY, type ComplexityLevel, type ItemStatus, type Plan, type PlanItem } from "../plan.ts";
import { schemaProblems, type PlanProblem } from "../problem.ts";
import { criteriaLines } from "./criteria.ts";
import { meaningOf, priorityNumber, statusMeaning, statusVocabulary, statusWord, type StatusMeaning } from "./feature-words.ts";
import type { ImportedPlan, PlanLocator } from "./imported-plan.ts";
import { editJsonText, type JsonEdit, type JsonPath } from "./json-edit.ts";
import { detectJsonStyle, isRecord, parseJsonFile, stringifyJson } from "./json-text.ts";

const FileSchema = z.union([z.looseObject({ features: z.array(z.unknown()) }), z.array(z.unknown())]);

const Id = z.union([z.string().min(1), z.number().int().nonnegative()]);
const Dependencies = z.array(Id);

// Loose: fields Viable does not know stay in the file and survive export. No `.default()`s: the
// item is built from the input object, not from zod's copy of it (see below), so the defaults
// live in `toItem`. Lists other tools write in their own ways (`steps`, `acceptance`, ...) are not
// checked here: one that is not a list of strings is simply not read as criteria.
const FeatureSchema = z
  .looseObject({
    id: Id.optional(),
    name: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    category: z.string().optional(),
    priority: z.union([z.number(), z.string()]).optional(),
    passes: z.boolean().nullable().optional(),
    status: z.string().optional(),
    blocked: z.boolean().optional(),
    dependencies: Dependencies.optional(),
    dependsOn: Dependencies.optional(),
    depends_on: Dependencies.optional(),
    // A list in the seed; a path to the tests or null in files other tools write.
    tests: z.union([z.array(z.string()), z.string(), z.null()]).optional(),
    // Any word: the seed honours high/medium/low in any case and ignores anything else.
    complexity: z.string().optional(),
    verify: z.array(z.string()).optional(),
    agent: z.string().optional(),
    // Viable's best-of-N on this item: that many candidates of its agent, or these.
    best_of: z.number().int().min(1).max(MAX_CANDIDATES).optional(),
    candidates: z.array(z.strictObject({ agent: z.string().min(1).optional(), runtime: z.enum(RUNTIME_NAMES).optional(), model: z.string().min(1).optional() })).min(1).optional(),
    blocked_reason: z.string().optional(),
  })
  .refine((f) => [f.name, f.title, f.description].some((t) => typeof t === "string" && t.trim() !== ""), {
    path: ["name"],
    message: "a feature needs a name, a title or a description",
  });
type Feature = z.infer<typeof FeatureSchema>;

/** Lists read as acceptance criteria, in this order. */
const CRITERIA_FIELDS = ["tests", "steps", "acceptance", "acceptance_criteria", "acceptanceCriteria", "verification"] as const;

export function importFeatureList(text: string, file: string): ImportedPlan {
  return importFeatureListData(parseJsonFile(text, file), file);
}

export function importFeatureListData(data: unknown, file: string): ImportedPlan {
  const source = { format: "feature-list" as const, file };
  const envelope = FileSchema.safeParse(data);
  if (!envelope.success) {
    return {
      plan: { version: 1, source, items: [] },
      locate: locator("features", [], new Map()),
      problems: isRecord(data)
        ? [{ kind: "schema", severity: "error", file, path: "features", message: 'expected a "features" list' }]
        : schemaProblems(envelope.error, file, ""),
      skippedIds: [],
    };
  }
  const arrayForm = Array.isArray(envelope.data);
  const prefix = arrayForm ? "" : "features";
  const features = (arrayForm ? envelope.data : (envelope.data as { features: unknown[] }).features) as unknown[];
  // Hashed ids only when some feature has no id of its own (the harness form).
  const ids = features.every((f) => isRecord(f) && isId(f.id)) ? undefined : featureIds(features);

  const items: PlanItem[] = [];
  const featureIndex: number[] = [];
  // Where dependencies are written, only for features that do not use `dependencies`.
  const depFields = new Map<number, string>();
  const problems: PlanProblem[] = [];
  const skippedIds: string[] = [];
  for (let i = 0; i < features.length; i++) {
    const raw = features[i];
    if (!isPlainFeature(raw)) {
      const checked = FeatureSchema.safeParse(raw);
      if (!checked.success) {
        problems.push(...schemaProblems(checked.error, file, `${prefix}[${i}]`));
        if (isRecord(raw) && isId(raw.id)) skippedIds.push(String(raw.id));
        continue;
      }
    }
    // The item is built from the input, not from zod's output: that is a deep copy, and keeping
    // it would double the memory of a large plan.
    const f = raw as Feature;
    const item = toItem(f, ids?.[i] ?? String(f.id), file);
    if (item.warnings !== undefined) {
      for (const w of item.warnings) problems.push({ kind: "unknown_value", severity: "warning", file, path: `${prefix}[${i}].${w.field}`, item: item.item.id, message: w.message });
    }
    if (f.dependencies === undefined && (f.dependsOn !== undefined || f.depends_on !== undefined)) depFields.set(items.length, f.dependsOn !== undefined ? "dependsOn" : "depends_on");
    items.push(item.item);
    featureIndex.push(i);
  }
  return { plan: { version: 1, source, items }, locate: locator(prefix, featureIndex, depFields), problems, skippedIds };
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
    optional(v.id, isId) &&
    optional(v.name, isString) &&
    optional(v.title, isString) &&
    optional(v.description, isString) &&
    (hasText(v.name) || hasText(v.title) || hasText(v.description)) &&
    optional(v.category, isString) &&
    optional(v.priority, (p) => isFiniteNumber(p) || isString(p)) &&
    optional(v.passes, (p) => p === null || isBoolean(p)) &&
    optional(v.status, isString) &&
    optional(v.blocked, isBoolean) &&
    optional(v.dependencies, isIds) &&
    optional(v.dependsOn, isIds) &&
    optional(v.depends_on, isIds) &&
    optional(v.tests, (t) => t === null || isString(t) || isStrings(t)) &&
    optional(v.complexity, isString) &&
    optional(v.verify, isStrings) &&
    optional(v.agent, isString) &&
    // Candidates are checked by the schema, field by field.
    v.best_of === undefined && v.candidates === undefined &&
    optional(v.blocked_reason, isString)
  );
}

const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const hasText = (v: unknown) => typeof v === "string" && v.trim() !== "";
const isString = (v: unknown) => typeof v === "string";
const isBoolean = (v: unknown) => typeof v === "boolean";
const isFiniteNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const isStrings = (v: unknown) => Array.isArray(v) && v.every(isString);
const isId = (v: unknown) => (typeof v === "string" && v.length > 0) || (typeof v === "number" && Number.isInteger(v) && v >= 0);
const isIds = (v: unknown) => Array.isArray(v) && v.every(isId);

/** The schema itself, for the test that keeps `isPlainFeature` within it. */
export const FEATURE_SCHEMA = FeatureSchema;

/**
 * Each feature's id: its own (numbers as text), or for a feature without one `f-` and ten hex
 * digits of a hash of its category and text — the same on every import of the same feature,
 * wherever it moves in the list. Identical features get `-2`, `-3`... in file order.
 */
export function featureIds(features: readonly unknown[]): string[] {
  const own = new Set<string>();
  for (const f of features) if (isRecord(f) && isId(f.id)) own.add(String(f.id));
  const used = new Set(own);
  return features.map((f) => {
    if (isRecord(f) && isId(f.id)) return String(f.id);
    const record = isRecord(f) ? f : {};
    const text = [record.description, record.title, record.name].find((t) => typeof t === "string") ?? "";
    const category = typeof record.category === "string" ? record.category : "";
    const base = `f-${createHash("sha256").update(`${category}\n${text}`).digest("hex").slice(0, 10)}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  });
}

// The common states, shared rather than built per feature: a plan may have 100,000 of them.
const PASSED: { status: ItemStatus } = Object.freeze({ status: "passed" });
const PENDING: { status: ItemStatus } = Object.freeze({ status: "pending" });

/**
 * The field holding a feature's status word: `status`, or `state` in files that call it that
 * (`"state": "passing"`); undefined when neither holds a word.
 */
function statusKey(f: Record<string, unknown>): "status" | "state" | undefined {
  return typeof f.status === "string" ? "status" : typeof f.state === "string" ? "state" : undefined;
}

/** What a feature's own fields say about its state (`passes` first, then `status`, then `blocked`). */
function stateOf(f: Feature, file: string): { status: ItemStatus; claimed?: string; blocked_reason?: string; unknownStatus?: string } {
  if (f.passes === true) return PASSED;
  const key = statusKey(f);
  // Not a string only in a file changed since it was imported: read as no status at all.
  if (key === undefined) return f.blocked === true ? { status: "blocked", blocked_reason: f.blocked_reason ?? `marked blocked in ${file}` } : PENDING;
  const word = f[key] as string;
  const meaning = statusMeaning(word);
  const said = `"${word}" in ${file}`;
  if (meaning === "passed" && f.passes !== false) return PASSED;
  if (meaning === "claimed") return { status: "pending", claimed: said };
  if (meaning === "blocked") return { status: "blocked", blocked_reason: f.blocked_reason ?? said };
  if (f.blocked === true) return { status: "blocked", blocked_reason: f.blocked_reason ?? `marked blocked in ${file}` };
  return meaning === undefined ? { status: "pending", unknownStatus: word } : PENDING;
}

interface FieldWarning {
  field: string;
  message: string;
}

function toItem(f: Feature, id: string, file: string): { item: PlanItem; warnings?: FieldWarning[] } {
  let warnings: FieldWarning[] | undefined;
  const description = f.description ?? "";
  const name = nonEmpty(f.name) ?? nonEmpty(f.title) ?? firstLine(description);
  const priority = priorityNumber(f.priority);
  if (f.priority !== undefined && priority === undefined) {
    (warnings ??= []).push({ field: "priority", message: `priority ${JSON.stringify(f.priority)} is not a number, "P0".."P9" or critical/high/medium/low; read as ${DEFAULT_PRIORITY}` });
  }
  const state = stateOf(f, file);
  if (state.unknownStatus !== undefined) (warnings ??= []).push({ field: statusKey(f) ?? "status", message: `status "${state.unknownStatus}" is not a word Viable knows; read as not started` });
  const deps = f.dependencies ?? f.dependsOn ?? f.depends_on ?? [];
  const item: PlanItem = {
    id,
    name,
    description,
    category: f.category ?? "",
    priority: priority ?? DEFAULT_PRIORITY,
    // The file's own arrays when they already are what the item needs (no copy per feature).
    dependencies: deps.every(isString) ? (deps) : deps.map(String),
    tests: criteriaOf(f),
    verify: f.verify ?? [],
    status: state.status,
    attempts: 0,
  };
  if (f.agent !== undefined) item.agent = f.agent;
  if (f.best_of !== undefined) item.best_of = f.best_of;
  if (f.candidates !== undefined) item.candidates = f.candidates;
  const complexity = f.complexity?.toLowerCase();
  if ((COMPLEXITY_LEVELS as readonly string[]).includes(complexity ?? "")) item.complexity = complexity as ComplexityLevel;
  if (state.blocked_reason !== undefined) item.blocked_reason = state.blocked_reason;
  if (state.claimed !== undefined) item.claimed = state.claimed;
  return warnings === undefined ? { item } : { item, warnings };
}

function criteriaOf(f: Record<string, unknown>): string[] {
  // The seed's own field alone: used as it is.
  if (f.steps === undefined && f.acceptance === undefined && f.acceptance_criteria === undefined && f.acceptanceCriteria === undefined && f.verification === undefined) {
    return Array.isArray(f.tests) ? (f.tests as string[]) : typeof f.tests === "string" ? criteriaLines(f.tests) : [];
  }
  const out: string[] = [];
  for (const k of CRITERIA_FIELDS) {
    const v = f[k];
    if (Array.isArray(v)) for (const s of v) if (typeof s === "string" && s.trim() !== "") out.push(s);
    if (typeof v === "string") out.push(...criteriaLines(v));
  }
  return out;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== "" ? s : undefined;
}

/** A name for a feature that has only a description: its first line, cut at a word near 100 characters. */
function firstLine(text: string): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  if (line.length <= 100) return line;
  const cut = line.lastIndexOf(" ", 100);
  return `${line.slice(0, cut > 60 ? cut : 100)}…`;
}

function locator(prefix: string, featureIndex: readonly number[], depFields: ReadonlyMap<number, string>): PlanLocator {
  const at = (i: number) => `${prefix}[${featureIndex[i] ?? i}]`;
  return { item: at, dependency: (i, j) => `${at(i)}.${depFields.get(i) ?? "dependencies"}[${j}]`, field: (i, name) => `${at(i)}.${name}` };
}

/**
 * Writes the plan's results into the original file, as edits of the fields that changed: `passes`
 * (true only for items that passed; a failed item stays to do, so the next run retries it) or the
 * file's own `status` word, and in seed 004's `{"features"}` form `blocked` and `blocked_reason`.
 * Everything else — other fields, formatting, features the plan does not have — stays as it was,
 * so a file nothing changed in is written back byte for byte. Items the file does not have are
 * appended.
 */
export function exportFeatureList(plan: Plan, original?: string): string {
  if (original === undefined) return stringifyJson({ features: plan.items.map((i) => toFeature(i, false)) });
  const data = parseJsonFile(original, plan.source.file);
  const arrayForm = Array.isArray(data);
  if (!arrayForm && !(isRecord(data) && Array.isArray(data.features))) {
    return stringifyJson({ features: plan.items.map((i) => toFeature(i, false)) }, detectJsonStyle(original));
  }
  const list = (arrayForm ? data : (data as { features: unknown[] }).features) as unknown[];
  const root: JsonPath = arrayForm ? [] : ["features"];
  const ids = featureIds(list);
  const vocabulary = statusVocabulary(list.map((f) => (isRecord(f) ? f[statusKey(f) ?? "status"] : undefined)));
  const byId = new Map(plan.items.map((item) => [item.id, item]));
  const written = new Set<string>();
  const edits: JsonEdit[] = [];
  list.forEach((feature, k) => {
    if (!isRecord(feature)) return;
    const item = byId.get(ids[k] as string);
    if (item === undefined || written.has(item.id)) return;
    written.add(item.id);
    edits.push(...resultEdits(feature, item, [...root, k], !arrayForm, vocabulary, plan.source.file));
  });
  let next = list.length;
  for (const item of plan.items) if (!written.has(item.id)) edits.push({ path: [...root, next++], value: toFeature(item, arrayForm) });
  return editJsonText(original, edits, detectJsonStyle(original).indent);
}

function resultEdits(feature: Record<string, unknown>, item: PlanItem, at: JsonPath, seedForm: boolean, vocabulary: ReadonlyMap<StatusMeaning, string>, file: string): JsonEdit[] {
  // A feature whose state the loop did not change is not touched, whatever odd mix of fields it has.
  const before = stateOf(feature, file);
  const claimed = item.claimed !== undefined;
  if (before.status === item.status && (before.claimed !== undefined) === claimed && (item.status !== "blocked" || before.blocked_reason === item.blocked_reason)) return [];

  const edits: JsonEdit[] = [];
  const set = (key: string, value: unknown) => {
    if (feature[key] !== value) edits.push({ path: [...at, key], value });
  };
  const passed = item.status === "passed";
  const key = statusKey(feature);
  const hasStatus = key !== undefined;
  // The state changed, so it is written in the file's own field: `passes` (added in a file
  // that uses neither), or the status word below.
  if ("passes" in feature || !hasStatus) set("passes", passed);
  if (hasStatus) set(key, statusWord(meaningOf(item.status), feature[key], vocabulary));
  if (seedForm && !hasStatus) {
    const blocked = item.status === "blocked";
    // A reason is worth writing when the loop blocked the feature; one the file already marked
    // blocked without a reason keeps it that way (its reason was made up on import).
    const writeReason = blocked && item.blocked_reason !== undefined && (feature.blocked !== true || "blocked_reason" in feature);
    // Files that never used `blocked` do not grow one for every feature.
    if ((blocked || "blocked" in feature) && feature.blocked !== blocked) set("blocked", blocked);
    if (writeReason) set("blocked_reason", item.blocked_reason);
    else if (!blocked && "blocked_reason" in feature) edits.push({ path: [...at, "blocked_reason"], remove: true });
  }
  return edits;
}

/** A feature for an item the file does not have: seed 004's shape, or the harness's in a top-level array. */
function toFeature(item: PlanItem, harness: boolean): Record<string, unknown> {
  if (harness) return { id: item.id, category: item.category, description: item.description || item.name, steps: item.tests, passes: item.status === "passed" };
  const feature: Record<string, unknown> = {
    id: item.id,
    name: item.name,
    description: item.description,
    category: item.category,
    priority: item.priority,
    passes: item.status === "passed",
    blocked: item.status === "blocked",
    dependencies: item.dependencies,
    tests: item.tests,
  };
  if (item.status === "blocked" && item.blocked_reason !== undefined) feature.blocked_reason = item.blocked_reason;
  if (item.complexity !== undefined) feature.complexity = item.complexity;
  if (item.verify.length > 0) feature.verify = item.verify;
  if (item.agent !== undefined) feature.agent = item.agent;
  if (item.best_of !== undefined) feature.best_of = item.best_of;
  if (item.candidates !== undefined) feature.candidates = item.candidates;
  return feature;
}
