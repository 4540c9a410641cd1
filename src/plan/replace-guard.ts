// Importing a plan replaces the stored one. A file that yields no items — the wrong tag, a
// truncated file, a list its tool has not filled yet — would silently wipe the stored plan and
// the loop's state of it, so that is refused unless the user says it is what they want.

import { UserError } from "../domain/errors.ts";
import type { Plan } from "./plan.ts";

/**
 * The error to refuse `plan` with, or undefined when it may replace a stored plan of
 * `storedItems` items: a plan with items always may; an empty one only over an empty store or
 * with `replace` (the CLI's `--replace`).
 */
export function emptyPlanRefusal(plan: Plan, storedItems: number, replace: boolean): UserError | undefined {
  if (plan.items.length > 0 || storedItems === 0 || replace) return undefined;
  const tag = plan.source.tag !== undefined ? ` (tag "${plan.source.tag}")` : "";
  return new UserError({
    reason: "bad_plan",
    file: plan.source.file,
    message: `has no items${tag}; importing it would replace the stored plan of ${storedItems} item${storedItems === 1 ? "" : "s"} and the loop's results for them`,
    fix: "check the file (and --tag), or import with --replace to replace the stored plan with an empty one",
  });
}
