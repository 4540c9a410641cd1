// Keyword and domain patterns are regular-expression sources, built in or from the user's
// config.json. A bad source from config is the user's to fix, so it becomes a UserError that names
// the file and the field; a bad built-in source is a bug and throws as one.

import { UserError, errorMessage } from "../domain/errors.ts";

/** Where the analyzer's custom rules live in the project's config. */
export const CONFIG_FILE = ".viable/config.json";
export const CONFIG_FIELD = "complexity";

export function compileBuiltin(sources: readonly string[]): RegExp[] {
  return sources.map((s) => new RegExp(s, "i"));
}

/** Compiles user-written sources; `field` is their path inside config.json, e.g. "complexity.keywords.complex". */
export function compileCustom(sources: readonly string[], field: string): RegExp[] {
  return sources.map((source, i) => {
    const at = `${field}[${i}]`;
    // An empty pattern matches every task, which silently turns a level or domain on for everything.
    if (source.trim() === "") {
      throw new UserError({
        reason: "bad_config",
        message: "an empty pattern would match every task",
        file: CONFIG_FILE,
        field: at,
        fix: "remove the entry or write the word to look for",
      });
    }
    try {
      return new RegExp(source, "i");
    } catch (e) {
      throw new UserError({
        reason: "bad_config",
        message: `not a valid regular expression: ${JSON.stringify(source)} (${errorMessage(e)})`,
        file: CONFIG_FILE,
        field: at,
        fix: String.raw`write a JavaScript regular expression source, e.g. "\\bmachine\\s+learning\\b"`,
      });
    }
  });
}

/** The text each pattern matched, in pattern order, without repeats. */
export function matchedWords(text: string, patterns: readonly RegExp[]): string[] {
  const found: string[] = [];
  for (const p of patterns) {
    const m = p.exec(text);
    if (m && !found.includes(m[0])) found.push(m[0]);
  }
  return found;
}
