// Which item a completion commit is for. Seed 004's git-history sync marks an item passed when a
// commit on the integration branch says `session: completed <id>` — but ids repeat: every Task
// Master tag has a task "1", an old plan and a new one both have "feature-001", and a harness
// list's hashed ids are only as unique as its texts. An item must not pass because some other
// plan's commit used its id. So the merge commit also carries the item's fingerprint as a
// trailer, and the sync trusts a commit only when that trailer matches the item it would pass.
//
//     session: completed 11
//
//     Implement Loop CLI Command
//
//     Viable-Item: 3f2a9c0b7e15d4a8
//     Viable-Attempt: 1
//     Viable-Run: loop-…

import { createHash } from "node:crypto";
import type { PlanItem, PlanSource } from "./plan.ts";

/** The trailer key of the item fingerprint in a completion commit. */
export const ITEM_TRAILER = "Viable-Item";

/**
 * The item's identity: sixteen hex digits of a hash of what makes it this piece of work — the
 * plan's format and Task Master tag, the item's id, name and description. Not its status,
 * priority, dependencies or criteria, nor the file's path: those change without the work
 * becoming another. The same item gives the same fingerprint on every import.
 */
export function itemFingerprint(source: Pick<PlanSource, "format" | "tag">, item: Pick<PlanItem, "id" | "name" | "description">): string {
  const identity = JSON.stringify([source.format, source.tag ?? "", item.id, item.name, item.description]);
  return createHash("sha256").update(identity).digest("hex").slice(0, 16);
}

/** The trailer line the merge commit of `item` carries. */
export function completionTrailer(source: Pick<PlanSource, "format" | "tag">, item: Pick<PlanItem, "id" | "name" | "description">): string {
  return `${ITEM_TRAILER}: ${itemFingerprint(source, item)}`;
}

/** The fingerprints a commit message's `Viable-Item` trailers name (git's trailer syntax: `Key: value` lines). */
export function trailerFingerprints(message: string): string[] {
  const out: string[] = [];
  for (const line of message.split("\n")) {
    const m = /^Viable-Item:\s*([0-9a-f]{16})\s*$/i.exec(line.trim());
    if (m?.[1]) out.push(m[1].toLowerCase());
  }
  return out;
}

/**
 * Whether a commit message proves `item` completed: its subject is seed 004's
 * `session: completed <id>` for this id, and it carries this item's fingerprint. A commit without
 * the trailer (another plan's, another tool's, or one made before Viable wrote it) proves nothing.
 */
export function provesCompletion(message: string, source: Pick<PlanSource, "format" | "tag">, item: Pick<PlanItem, "id" | "name" | "description">): boolean {
  const subject = message.split("\n", 1)[0] ?? "";
  const m = /^session: completed (\S+?)[:,;.]*(?:\s|$)/.exec(subject);
  if (m?.[1] !== item.id) return false;
  return trailerFingerprints(message).includes(itemFingerprint(source, item));
}
