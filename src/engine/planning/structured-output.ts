// JSON that an agent wrote, read the way it is really written: wrapped in a Markdown fence, with a
// sentence before or after it, or cut off. What can be unwrapped is; what cannot comes back as a
// problem in words the agent can act on (it is sent back to the agent, never half-parsed).

import type { z } from "zod";

/** `raw`: the JSON as written (unknown keys and all), for rewriting an unwrapped file without changing it. */
export type Structured<T> = { ok: true; value: T; raw: unknown; unwrapped: boolean } | { ok: false; problem: string };

/**
 * The JSON text inside `text`: the first fenced block or bracketed span that parses — fenced
 * blocks first, then spans from each { or [ to the bracket that closes it (strings skipped), so a
 * bracket in a sentence around the JSON does not spoil it. When none parses, the likeliest one.
 */
export function unwrapJson(text: string): { json: string; unwrapped: boolean } {
  const trimmed = text.trim();
  const fences = [...trimmed.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\n([\s\S]*?)(?:\n```|$)/g)].map((m) => m[1]!.trim());
  const spans: string[] = [];
  for (let i = 0; i < trimmed.length && spans.length < 50; i++) {
    if (trimmed[i] !== "{" && trimmed[i] !== "[") continue;
    // Outermost spans only: what is inside one is part of it, not another answer.
    const span = balancedFrom(trimmed, i);
    spans.push(span);
    i += span.length - 1;
  }
  const candidates = [...fences, ...spans];
  const parses = candidates.find((c) => {
    try {
      JSON.parse(c);
      return true;
    } catch {
      return false;
    }
  });
  const json = parses ?? fences[0] ?? spans[0] ?? trimmed;
  return { json, unwrapped: json !== trimmed };
}

/** From the bracket at `start` to the one that closes it, or to the end when none does (cut off). */
function balancedFrom(text: string, start: number): string {
  const end = closingIndex(text, start);
  return end === null ? text.slice(start) : text.slice(start, end + 1);
}

/** Where the bracket at `start` is closed (brackets inside strings do not count); null: never. */
function closingIndex(text: string, start: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return null;
}

export function parseStructured<T>(text: string, schema: z.ZodType<T>): Structured<T> {
  if (text.trim() === "") return { ok: false, problem: "the file is empty" };
  const { json, unwrapped } = unwrapJson(text);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    return { ok: false, problem: cutOff(json) ? "the JSON is cut off: it ends before all its brackets are closed" : `it is not valid JSON (${(e as Error).message})` };
  }
  const checked = schema.safeParse(value);
  if (!checked.success) {
    const problems = checked.error.issues.slice(0, 8).map((i) => `${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`);
    return { ok: false, problem: `it does not match the required shape — ${problems.join("; ")}${checked.error.issues.length > 8 ? `; and ${checked.error.issues.length - 8} more` : ""}` };
  }
  return { ok: true, value: checked.data, raw: value, unwrapped };
}

/** Brackets still open at the end of the text: an answer that was cut off. */
function cutOff(json: string): boolean {
  const start = json.search(/[{[]/);
  return start >= 0 && closingIndex(json, start) === null;
}
