// The words feature lists use, as their own tools and agents write them: `status` instead of
// seed 004's `passes` ("passing", "complete", "done-uncommitted", "not-started", "in-progress",
// ...), and priorities as words ("P0", "high", "critical") as well as numbers.

import type { ItemStatus } from "../plan.ts";

/** What a status word means to the loop. */
export type StatusMeaning = "passed" | "todo" | "claimed" | "blocked";

// Compared after normalizing: lower case, spaces and underscores as hyphens.
const WORDS: Readonly<Record<StatusMeaning, readonly string[]>> = {
  passed: ["done", "complete", "completed", "passing", "pass", "passed", "verified", "finished", "implemented", "shipped", "closed", "resolved", "success", "succeeded", "green"],
  todo: ["pending", "todo", "to-do", "not-started", "notstarted", "open", "planned", "ready", "new", "backlog", "failing", "fail", "failed", "spec-ready", "queued", "red", "incomplete"],
  // Someone is at it, or has it done but not committed: not Viable's to hand out, and not done on the branch either.
  claimed: ["in-progress", "inprogress", "wip", "doing", "started", "active", "review", "in-review", "ready-for-qa", "ready-for-review", "qa", "testing", "done-uncommitted"],
  blocked: ["blocked", "deferred", "cancelled", "canceled", "wontfix", "won't-fix", "skipped", "on-hold", "paused", "abandoned"],
};
const MEANINGS = new Map<string, StatusMeaning>();
for (const [meaning, words] of Object.entries(WORDS) as [StatusMeaning, readonly string[]][]) for (const w of words) MEANINGS.set(w, meaning);

function normalize(word: string): string {
  return word.trim().toLowerCase().replace(/[\s_]+/g, "-");
}

/** The meaning of a status word, or undefined for a word Viable does not know. */
export function statusMeaning(word: string): StatusMeaning | undefined {
  return MEANINGS.get(normalize(word));
}

/** The meaning to write for an item the loop changed (one it left alone keeps its word). */
export function meaningOf(status: ItemStatus): StatusMeaning {
  switch (status) {
    case "passed":
      return "passed";
    case "blocked":
      return "blocked";
    case "running":
      return "claimed";
    // A failed item is not done: it stays to do, so the next run tries it again.
    case "pending":
    case "failed":
      return "todo";
  }
}

const DEFAULT_WORDS: Readonly<Record<StatusMeaning, string>> = { passed: "done", todo: "pending", claimed: "in-progress", blocked: "blocked" };

/**
 * The word to write for `meaning`: the file's own word when it already means that (a word Viable
 * does not know was read as to do, and stays), else the word
 * the file uses most for that meaning, else a plain default.
 */
export function statusWord(meaning: StatusMeaning, original: unknown, vocabulary: ReadonlyMap<StatusMeaning, string>): string {
  if (typeof original === "string" && (statusMeaning(original) ?? "todo") === meaning) return original;
  return vocabulary.get(meaning) ?? DEFAULT_WORDS[meaning];
}

/** For each meaning, the word the file uses most often for it. */
export function statusVocabulary(words: Iterable<unknown>): Map<StatusMeaning, string> {
  const counts = new Map<StatusMeaning, Map<string, number>>();
  for (const w of words) {
    if (typeof w !== "string") continue;
    const m = statusMeaning(w);
    if (m === undefined) continue;
    const byWord = counts.get(m) ?? new Map<string, number>();
    byWord.set(w, (byWord.get(w) ?? 0) + 1);
    counts.set(m, byWord);
  }
  const out = new Map<StatusMeaning, string>();
  for (const [m, byWord] of counts) {
    let best: [string, number] | undefined;
    for (const entry of byWord) if (best === undefined || entry[1] > best[1]) best = entry;
    if (best !== undefined) out.set(m, best[0]);
  }
  return out;
}

const NAMED_PRIORITIES: Readonly<Record<string, number>> = { critical: 0, urgent: 0, highest: 0, blocker: 0, high: 1, medium: 2, normal: 2, moderate: 2, low: 3, lowest: 4, trivial: 4 };

/**
 * A priority as a number, lower first: numbers as they are, "P0".."P9" as 0..9, "critical" 0,
 * "high" 1, "medium" 2, "low" 3, numeric strings as numbers. Undefined for anything else.
 */
export function priorityNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string") return undefined;
  const w = v.trim().toLowerCase();
  const p = /^p(\d+)$/.exec(w);
  if (p) return Number(p[1]);
  if (w in NAMED_PRIORITIES) return NAMED_PRIORITIES[w];
  if (/^-?\d+(?:\.\d+)?$/.test(w)) return Number(w);
  return undefined;
}
