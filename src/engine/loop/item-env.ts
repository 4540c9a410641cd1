// What an item's agents, setup hook and checks run with: its environment, and the label its
// transcripts and process markers carry.

import type { PlanItem } from "../../plan/plan.ts";
import type { ItemWorkspace } from "./item-workspace.ts";
import type { WorkContext } from "./loop-context.ts";

/**
 * The item's environment, for its agents, its setup hook and its verify commands. Each concurrent
 * slot has its own port range, so dev servers in parallel worktrees do not collide.
 */
export function itemEnv(ctx: WorkContext, item: PlanItem, slot: number, ws: ItemWorkspace | null): Record<string, string> {
  const env: Record<string, string> = {
    VIABLE_ITEM_ID: item.id,
    VIABLE_ITEM: JSON.stringify(item),
    VIABLE_PROJECT_ROOT: ctx.paths.root,
    VIABLE_WORKSPACE: ws?.dir ?? ctx.paths.root,
    VIABLE_PORT_BASE: String(ctx.config.workspace.port_base + slot * ctx.config.workspace.port_stride),
    VIABLE_PORT_COUNT: String(ctx.config.workspace.port_stride),
    VIABLE_SLOT: String(slot),
  };
  if (ws) {
    env.VIABLE_BRANCH = ws.branch;
    env.VIABLE_BASE_COMMIT = ws.base;
  }
  if (ctx.integration) env.VIABLE_INTEGRATION_BRANCH = ctx.integration;
  return env;
}

export function label(ctx: WorkContext, item: PlanItem, attempt: number): string {
  return `${ctx.runId}-${item.id.replace(/[^A-Za-z0-9._-]+/g, "_")}-${attempt}`;
}

