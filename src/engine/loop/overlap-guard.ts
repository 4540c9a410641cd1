// `loop.avoid_overlap`: items likely to touch the same files are not run at the same time, so fewer
// merges conflict in the first place. S2's prediction for plan items: the paths an item names (in
// its name, description and acceptance tests), directories covering what is under them. An item
// that names no path has no prediction and is never held back for it.

import { namedGlob } from "../../analysis/file-zones.ts";
import { globsOverlap } from "../../analysis/glob.ts";
import { pathsInTask } from "../../analysis/task-paths.ts";
import type { ItemId, PlanItem } from "../../plan/plan.ts";

export class OverlapGuard {
  readonly #running = new Map<ItemId, string[]>();
  readonly #zones = new Map<ItemId, string[]>();

  /** The item's predicted zone: globs of the paths it names. */
  zoneOf(item: PlanItem): string[] {
    let zone = this.#zones.get(item.id);
    if (zone === undefined) {
      zone = pathsInTask([item.name, item.description, ...item.tests].join("\n")).map(namedGlob);
      this.#zones.set(item.id, zone);
    }
    return zone;
  }

  /** Whether the item may start now; if so it counts as running until `release`. */
  admit(item: PlanItem): boolean {
    const zone = this.zoneOf(item);
    for (const other of this.#running.values()) {
      if (zone.some((a) => other.some((b) => globsOverlap(a, b)))) return false;
    }
    this.#running.set(item.id, zone);
    return true;
  }

  release(id: ItemId): void {
    this.#running.delete(id);
  }
}
