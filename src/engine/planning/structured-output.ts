// JSON that an agent wrote, read the way it is really written: wrapped in a Markdown fence, with a
// sentence before or after it, or cut off. What can be unwrapped is; what cannot comes back as a
// problem in words the agent can act on (it is sent back to the agent, never half-parsed).

import type { z } from "zod";

export type Structured<T> = { ok: true; value: T; unwrapped: boolean } | { ok: false; problem: string };

/** The JSON text inside `text`: a fenced block's content, else from the first { or [ to its last match. */
export function unwrapJson(text: string): { json: string; unwrapped: boolean } {
  const trimmed = text.trim();
  const fence = /```[a-zA-Z0-9_-]*[ \t]*\n([\s\S]*?)(?:\n```|$)/.exec(trimmed);
  if (fence) return { json: fence[1]!.trim(), unwrapped: true };
  const start = trimmed.search(/[{[]/);
  if (start < 0) return { json: trimmed, unwrapped: false };
  const close = trimmed[start] === "{" ? "}" : "]";
  const end = trimmed.lastIndexOf(close);
  const json = end > start ? trimmed.slice(start, end + 1) : trimmed.slice(start);
  return { json, unwrapped: start > 0 || end < trimmed.length - 1 };
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
  return { ok: true, value: checked.data, unwrapped };
}

/** Brackets still open at the end of the text (strings skipped): an answer that was cut off. */
function cutOff(json: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
  return depth > 0 || inString;
}
