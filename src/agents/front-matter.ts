// The front matter of an agent file, read the way Claude Code reads it, so that a file Claude Code
// accepts loads here too. Claude Code parses the block as YAML; when that fails it quotes every
// plain `key: value` line whose value YAML would misread — one containing ": " or a character
// such as `#`, `[`, `{`, `*`, `&`, `!`, `|`, `>`, `%`, `@` or a backtick — turns leading tabs into
// spaces, and parses again. That second pass is what makes the most common hand-written (and
// generated) agent file work:
//
//     description: Use this agent when ... Examples: <example>Context: ... user: "..."</example>
//
// which is not valid YAML ("Nested mappings are not allowed in compact mappings"). Viable does
// the same, and says so in a warning, since the file is not the YAML it looks like.

import { parse as parseYaml } from "yaml";

export interface FrontMatter {
  /** The fields, as parsed. */
  fields: Record<string, unknown>;
  /** The Markdown after the closing `---`, line endings as LF. */
  body: string;
  /** Read only after quoting values (see above): which keys were quoted. */
  quotedKeys: string[];
}

export type FrontMatterProblem =
  | { kind: "missing" }
  /** `line` counts from the first line after the opening `---`, from 1. */
  | { kind: "yaml"; message: string; line?: number; duplicateKey?: boolean }
  | { kind: "not_a_mapping" };

/**
 * Splits and parses the file. The block is the lines between a first line `---` and the next
 * line `---` (trailing blanks allowed on both, a byte-order mark and CRLF line endings too).
 */
export function readFrontMatter(text: string): FrontMatter | FrontMatterProblem {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines[0]?.trimEnd() !== "---") return { kind: "missing" };
  const close = lines.findIndex((l, i) => i > 0 && l.trimEnd() === "---");
  if (close < 0) return { kind: "missing" };
  const yaml = lines.slice(1, close).join("\n");
  const body = lines.slice(close + 1).join("\n");

  let quotedKeys: string[] = [];
  let parsed: unknown;
  try {
    parsed = parseYaml(yaml) as unknown;
  } catch (first) {
    const retry = quoteMisreadValues(yaml);
    try {
      parsed = parseYaml(retry.text.replace(/^\t+/gm, (tabs) => "  ".repeat(tabs.length))) as unknown;
      quotedKeys = retry.keys;
    } catch (second) {
      // A key given twice is what stays wrong once the values are quoted: say that, not what the
      // quoting fixed. (Quoting changes no line, so its position holds for the file.)
      const error = (second as { code?: string }).code === "DUPLICATE_KEY" ? second : first;
      const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
      return { kind: "yaml", message: (error as Error).message.split("\n")[0] ?? "invalid", ...(line !== undefined ? { line } : {}), ...(error === second ? { duplicateKey: true } : {}) };
    }
  }
  parsed ??= {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) return { kind: "not_a_mapping" };
  return { fields: parsed as Record<string, unknown>, body, quotedKeys };
}

/** Characters after which YAML would read a plain value as something else. */
const MISREAD = /[{}[\]*&#!|>%@`]|: /;
/** A block scalar's indicator (`|`, `>-`, `|2+`...): its value is on the lines after it. */
const BLOCK_SCALAR = /^[|>][1-9]?[+-]?[1-9]?$/;

/**
 * Double-quotes the value of every `key: value` line YAML would misread, as Claude Code does
 * before its second parse. Values already quoted, flow lists that parse, and block scalars are
 * left alone. Unlike Claude Code, an inline ` # comment` after a value other than the description
 * is dropped first, as YAML itself would (`model: haiku  # or sonnet` is the model `haiku`).
 */
export function quoteMisreadValues(yaml: string): { text: string; keys: string[] } {
  const keys: string[] = [];
  const text = yaml
    .split("\n")
    .map((line) => {
      const m = /^([a-zA-Z_-]+):\s+(\S.*)$/.exec(line);
      if (!m) return line;
      const key = m[1] as string;
      let value = m[2] as string;
      if (key !== "description" && !/^["']/.test(value)) {
        const comment = /\s#/.exec(value);
        if (comment) {
          value = value.slice(0, comment.index).trimEnd();
          line = `${key}: ${value}`;
        }
      }
      if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) return line;
      if (BLOCK_SCALAR.test(value.trimEnd())) return line;
      if (value.startsWith("[") && value.endsWith("]")) {
        try {
          if (Array.isArray(parseYaml(value))) return line;
        } catch {
          // Not a list after all: quote it like any other value.
        }
      }
      if (!MISREAD.test(value)) return line;
      keys.push(key);
      return `${key}: "${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    })
    .join("\n");
  return { text, keys };
}
