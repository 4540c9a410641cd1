// Which format a plan file is in, from its content (the name is only a hint: people rename files).
// JSON is parsed once here and handed on, since a large plan should not be parsed twice.

import { UserError } from "../../domain/errors.ts";
import type { PlanFormat } from "../plan.ts";
import { isRecord, parseJsonFile } from "./json-text.ts";

export type Sniffed = { format: "beads" } | { format: Exclude<PlanFormat, "beads">; data: unknown };

export function sniffFormat(text: string, file: string): Sniffed {
  if (file.endsWith(".jsonl") || looksLikeJsonLines(text)) return { format: "beads" };
  const data = parseJsonFile(text, file);
  // Anthropic's autonomous-coding harness writes its feature list as a bare array.
  if (Array.isArray(data)) return { format: "feature-list", data };
  if (isRecord(data)) {
    if (Array.isArray(data.features)) return { format: "feature-list", data };
    if (Array.isArray(data.tasks)) return { format: "taskmaster", data };
    const tagged = Object.values(data).some((v) => isRecord(v) && Array.isArray(v.tasks));
    if (tagged) return { format: "taskmaster", data };
  }
  throw new UserError({
    reason: "bad_plan",
    message: "not a plan format Viable knows",
    file,
    fix: 'use a feature_list.json ({"features": [...]} or a top-level [...] of features), a Task Master tasks.json ({"tasks": [...]} or {"master": {"tasks": [...]}}), or a beads export (.beads/issues.jsonl)',
  });
}

/** Several lines, the first of them a complete JSON object: JSON Lines, which only beads uses here. */
function looksLikeJsonLines(text: string): boolean {
  // No regular expression on the whole text: V8 keeps the last regexp subject alive (for
  // RegExp.input), which would pin a large plan file in memory long after it was parsed.
  let start = 0;
  while (start < text.length && " \t\r\n\uFEFF".includes(text[start] as string)) start++;
  if (text[start] !== "{") return false;
  const end = text.indexOf("\n", start);
  if (end < 0) return false;
  const first = text.slice(start, end).trim();
  if (!first.endsWith("}")) return false;
  try {
    const v: unknown = JSON.parse(first);
    return isRecord(v) && typeof v.id === "string";
  } catch {
    return false;
  }
}
