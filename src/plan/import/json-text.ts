// Reading and rewriting the JSON plan files people keep in their repositories. Rewrites keep the
// file's own indentation and final newline so that an export shows up in `git diff` as the status
// changes only.

import { UserError } from "../../domain/errors.ts";

export function parseJsonFile(text: string, file: string): unknown {
  try {
    // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // V8 says where: "... in JSON at position 45 (line 3 column 5)".
    const at = /\(line (\d+) column (\d+)\)/.exec(message);
    throw new UserError({
      reason: "bad_plan",
      message: `not valid JSON: ${message}`,
      file,
      ...(at ? { field: `line ${at[1]} column ${at[2]}` } : {}),
      fix: "fix the JSON syntax there (a missing comma or quote, a trailing comma), then import again",
    });
  }
}

export interface JsonStyle {
  indent: string | number;
  finalNewline: boolean;
}

/** The indentation of the first indented line. A plain scan: see `sniff.ts` on regexps and big texts. */
export function detectJsonStyle(text: string): JsonStyle {
  const finalNewline = text.endsWith("\n");
  for (let nl = text.indexOf("\n"); nl >= 0 && nl < text.length - 1; nl = text.indexOf("\n", nl + 1)) {
    if (text[nl + 1] === "\t") return { indent: "\t", finalNewline };
    let spaces = 0;
    while (text[nl + 1 + spaces] === " ") spaces++;
    if (spaces > 0 && text[nl + 1 + spaces] !== "\n") return { indent: spaces, finalNewline };
  }
  // A file on one line stays on one line.
  const oneLine = text.indexOf("\n") < 0 || text.indexOf("\n") === text.length - 1;
  return { indent: oneLine ? 0 : 2, finalNewline };
}

export function stringifyJson(value: unknown, style: JsonStyle = { indent: 2, finalNewline: true }): string {
  return JSON.stringify(value, null, style.indent) + (style.finalNewline ? "\n" : "");
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
