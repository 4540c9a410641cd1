// What the agents working on a plan item (and an integrator resolving its merge) are told it is.

import type { PlanItem } from "../../plan/plan.ts";

export function itemTask(item: PlanItem): string {
  const parts = [`Plan item ${item.id}: ${item.name}`];
  if (item.description.trim() !== "") parts.push(item.description.trim());
  if (item.verify.length > 0) parts.push(`It must pass:\n${item.verify.map((v) => `$ ${v}`).join("\n")}`);
  return parts.join("\n\n");
}
