// Seed 004's complexity rule for a work item, exactly as its orchestrator.py computes it: plain
// substring matches on the lower-cased fields, each keyword group counted once. Which fields a
// group looks in is the seed's too: security and simple-change words in the description, category
// or name; system words in the description or category only; "simple"/"minor" in the name only.
// The level decides which extra steps follow the implementing agent.

import type { ComplexityLevel, PlanItem } from "./plan.ts";

export const SECURITY_WORDS = [
  "security", "crypto", "encrypt", "auth", "credential", "password", "ssh", "certificate",
  "token", "session", "permission", "rbac", "injection", "sanitize", "validate", "vulnerability",
] as const;
export const SYSTEM_WORDS = [
  "api", "endpoint", "database", "repository", "migration", "schema", "patch", "system",
  "service", "handler", "execute", "command",
] as const;
export const SIMPLE_WORDS = ["refactor", "rename", "cleanup", "format", "typo", "comment", "docs"] as const;

/** The steps after implementation, by level. */
export type ItemStep = "reviewer" | "test_runner" | "verifier";

export interface ItemComplexity {
  level: ComplexityLevel;
  /** The seed's score; undefined when the item states its complexity. */
  score?: number;
  /** Each signal that moved the score, e.g. `+2 security word "auth"`, for `viable plan show`. */
  reasons: string[];
  steps: ItemStep[];
}

export function stepsFor(level: ComplexityLevel): ItemStep[] {
  switch (level) {
    case "high":
      return ["reviewer", "test_runner", "verifier"];
    case "medium":
      return ["test_runner"];
    case "low":
      return [];
  }
}

export type ComplexityInput = Pick<PlanItem, "name" | "description" | "category" | "dependencies" | "tests" | "complexity">;

export function itemComplexity(item: ComplexityInput): ItemComplexity {
  if (item.complexity !== undefined) {
    return { level: item.complexity, reasons: [`stated in the plan: ${item.complexity}`], steps: stepsFor(item.complexity) };
  }
  const name = item.name.toLowerCase();
  const description = item.description.toLowerCase();
  const category = item.category.toLowerCase();
  let score = 0;
  const reasons: string[] = [];
  const found = (words: readonly string[], fields: readonly string[]) => words.find((w) => fields.some((f) => f.includes(w)));

  const security = found(SECURITY_WORDS, [description, category, name]);
  if (security !== undefined) {
    score += 2;
    reasons.push(`+2 security word "${security}"`);
  }
  if (item.dependencies.length > 3) {
    score += 1;
    reasons.push(`+1 ${item.dependencies.length} dependencies (> 3)`);
  }
  if (item.tests.length > 5) {
    score += 1;
    reasons.push(`+1 ${item.tests.length} tests (> 5)`);
  }
  const system = found(SYSTEM_WORDS, [description, category]);
  if (system !== undefined) {
    score += 1;
    reasons.push(`+1 system word "${system}"`);
  }
  const simple = found(SIMPLE_WORDS, [description, category, name]);
  if (simple !== undefined) {
    score -= 2;
    reasons.push(`-2 simple-change word "${simple}"`);
  }
  const small = ["simple", "minor"].find((w) => name.includes(w));
  if (small !== undefined) {
    score -= 1;
    reasons.push(`-1 "${small}" in the name`);
  }
  // Code points, as the seed's Python `len` counts them.
  const length = [...description].length;
  if (length < 40) {
    score -= 1;
    reasons.push(`-1 short description (${length} < 40 characters)`);
  }
  const level: ComplexityLevel = score >= 3 ? "high" : score <= 0 ? "low" : "medium";
  return { level, score, reasons, steps: stepsFor(level) };
}
