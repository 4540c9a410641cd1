// Reading and rewriting the JSON plan files people keep in their repositories. Rewrites keep the
// file's own indentation and final newline so that an export shows up in `git diff` as the status
// changes only.

import { UserError } from "../../domain/errors.ts";

export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError({
      reason: "bad_plan",
      message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
      file,
      fix: "fix the JSON syntax (a JSON linter shows the exact position), then import again",
    });
  }
}

export interface JsonStyle {
  indent: string | number;
  finalNewline: boolean;
}

export function detectJsonStyle(text: string): JsonStyle {
  const m = /\n([ \t]+)\S/.exec(text);
  const indent = m?.[1] ?? "  ";
  return { indent: indent.startsWith("\t") ? "\t" : indent.length, finalNewline: text.endsWith("\n") };
}

export function stringifyJson(value: unknown, style: JsonStyle = { indent: 2, finalNewline: true }): string {
  return JSON.stringify(value, null, style.indent) + (style.finalNewline ? "\n" : "");
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
