// S2's prediction of where each agent will write, before any agent runs: the paths the task names,
// and the usual places of the agent's domain or function. Agents whose zones overlap are not run at
// the same time (peers' users ask for exactly this: predicting file overlap before dispatching).

import type { AllocatedAgent } from "./allocation.ts";
import { globsOverlap } from "./glob.ts";

/** A zone of "**" means "could touch anything": it overlaps every other writer. */
export const EVERYTHING = "**";

export interface FileZone {
  agent: string;
  /** Globs relative to the project root; empty for a read-only step. */
  globs: string[];
  read_only: boolean;
}

const TYPICAL_GLOBS: Readonly<Record<string, readonly string[]>> = {
  frontend: ["**/*.css", "**/*.scss", "**/*.less", "**/*.tsx", "**/*.jsx", "**/*.vue", "**/*.svelte", "**/*.html", "**/components/**", "**/pages/**", "**/styles/**", "public/**"],
  backend: ["**/api/**", "**/server/**", "**/routes/**", "**/controllers/**", "**/middleware/**", "**/services/**", "**/handlers/**", "**/auth/**"],
  database: ["**/migrations/**", "**/*.sql", "**/schema.*", "**/models/**", "**/db/**", "prisma/**"],
  infrastructure: ["Dockerfile", "**/Dockerfile*", "docker-compose*.yml", "compose*.yaml", ".github/workflows/**", ".gitlab-ci.yml", "**/*.tf", "k8s/**", "helm/**", "deploy/**"],
  tester: ["**/test/**", "**/tests/**", "**/__tests__/**", "**/*.test.*", "**/*.spec.*", "**/*_test.*", "**/test_*.py"],
  documenter: ["**/*.md", "docs/**"],
};

/** Globs for a path the task names: a directory ("src/") covers what is under it. */
export function namedGlob(p: string): string {
  return p.endsWith("/") ? `${p}**` : p;
}

export function predictZones(agents: readonly AllocatedAgent[], namedPaths: readonly string[]): FileZone[] {
  const zones: FileZone[] = agents.map((a) => {
    if (a.role === "review") return { agent: a.name, globs: [], read_only: true };
    // A stand-in does the work it stands in for, so it writes where that agent would.
    const typical = TYPICAL_GLOBS[a.stands_in_for ?? a.name];
    return { agent: a.name, globs: typical ? [...typical] : [EVERYTHING], read_only: false };
  });
  // A named path goes to every writer whose usual places include it; when none does, to every
  // writer that is not a tester or documenter, since someone must write it.
  for (const p of namedPaths.map(namedGlob)) {
    const writers = zones.filter((z) => !z.read_only);
    const owners = writers.filter((z) => z.globs.some((g) => globsOverlap(g, p)));
    const targets = owners.length > 0 ? owners : writers.filter((z) => !["tester", "documenter"].includes(z.agent));
    for (const z of targets) if (!z.globs.includes(p) && !z.globs.includes(EVERYTHING)) z.globs.push(p);
  }
  return zones;
}

/** Where two zones meet, described for people ("src/a.ts", "** (could touch anything)"); undefined when they do not. */
export function zoneOverlap(a: FileZone, b: FileZone): string | undefined {
  if (a.read_only || b.read_only) return undefined;
  if (a.globs.includes(EVERYTHING) || b.globs.includes(EVERYTHING)) {
    const wide = [a, b].filter((z) => z.globs.includes(EVERYTHING)).map((z) => z.agent);
    return `${EVERYTHING} (${wide.join(" and ")} could touch any file)`;
  }
  for (const ga of a.globs) {
    for (const gb of b.globs) {
      if (globsOverlap(ga, gb)) return ga === gb ? ga : `${ga} ~ ${gb}`;
    }
  }
  return undefined;
}
