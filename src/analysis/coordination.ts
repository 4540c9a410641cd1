// S2 coordination: orders S3's allocation into groups that run one after another, with the agents of
// a group running at once — never two agents whose predicted file zones overlap.

import type { Adaptation } from "../domain/viability.ts";
import type { AllocatedAgent, Allocation } from "./allocation.ts";
import { predictZones, zoneOverlap, type FileZone } from "./file-zones.ts";
import { pathsInTask } from "./task-paths.ts";

export interface ConflictZone {
  agents: [string, string];
  zone: string;
}

export interface Coordination {
  /** Run in order; the agents within a group run at once. */
  groups: string[][];
  /** Pairs of writers whose predicted zones overlap, whether or not they would have run together. */
  conflict_zones: ConflictZone[];
  /** Each agent's predicted zone (globs); empty for read-only review steps. */
  zones: Record<string, string[]>;
  rationale: string;
}

export interface CoordinateInput {
  allocation: Allocation;
  task: string;
  adaptations: readonly Adaptation[];
}

export function coordinate({ allocation, task, adaptations }: CoordinateInput): Coordination {
  const steps = [...allocation.agents].sort((a, b) => a.order - b.order);
  const zones = predictZones(steps, pathsInTask(task));
  const conflicts = conflictsOf(zones);
  // Writers are unique by name (S3 merges repeats); a reviewer may appear twice, always with no zone.
  const zoneMap: Record<string, string[]> = Object.fromEntries(zones.map((z) => [z.agent, z.globs]));

  const s2 = adaptations.find((a) => a.type === "increase_s2_involvement");
  const notes: string[] = [];
  let groups: string[][];
  if (s2) {
    groups = steps.map((s) => [s.name]);
    notes.push(`increase_s2_involvement is active (${s2.trigger}): every agent runs alone, in order, so no two agents change the tree at once while work has been oscillating.`);
  } else if (allocation.execution_mode === "sequential") {
    groups = steps.map((s) => [s.name]);
    notes.push("S3 chose sequential execution: one agent at a time, in order.");
  } else {
    groups = packGroups(steps, zones);
    notes.push(`S3 allows ${allocation.execution_mode} execution: agents share a group when their predicted files do not overlap; reviews run alone after the work they review.`);
  }
  notes.push(`Schedule: ${groups.map((g) => g.join(" + ")).join(" → ")}.`);
  for (const c of conflicts) notes.push(`${c.agents[0]} and ${c.agents[1]} may touch the same files, so they never run together: ${c.zone}.`);

  return { groups, conflict_zones: conflicts, zones: zoneMap, rationale: notes.join(" ") };
}

/**
 * Greedy and order-preserving: a step joins the current group unless it is a review or overlaps a
 * member, in which case a new group starts. No step ever runs before a step S3 ordered ahead of it.
 */
function packGroups(steps: readonly AllocatedAgent[], zones: readonly FileZone[]): string[][] {
  const groups: string[][] = [];
  let current: FileZone[] = [];
  const flush = (): void => {
    if (current.length > 0) groups.push(current.map((z) => z.agent));
    current = [];
  };
  steps.forEach((step, i) => {
    const zone = zones[i];
    if (zone === undefined) return;
    if (step.role === "review") {
      flush();
      groups.push([step.name]);
      return;
    }
    if (current.some((member) => zoneOverlap(member, zone) !== undefined)) flush();
    current.push(zone);
  });
  flush();
  return groups;
}

function conflictsOf(zones: readonly FileZone[]): ConflictZone[] {
  const out: ConflictZone[] = [];
  for (let i = 0; i < zones.length; i++) {
    for (let j = i + 1; j < zones.length; j++) {
      const a = zones[i];
      const b = zones[j];
      if (a === undefined || b === undefined || a.agent === b.agent) continue;
      const zone = zoneOverlap(a, b);
      if (zone !== undefined && !out.some((c) => c.agents[0] === a.agent && c.agents[1] === b.agent)) {
        out.push({ agents: [a.agent, b.agent], zone });
      }
    }
  }
  return out;
}
