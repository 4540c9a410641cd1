// A bounded, deterministic walk of a project's files for S4: enough to see what the project is made
// of without reading a monorepo's every file or anything that is generated or vendored.

import fs from "node:fs/promises";
import path from "node:path";

/** Directories that hold dependencies, build output, caches or VCS data: never the project's own work. */
export const IGNORED_DIRECTORIES: ReadonlySet<string> = new Set([
  ".git", ".hg", ".svn", ".viable", ".claude", "node_modules", "bower_components", "dist", "build", "out",
  "target", "vendor", ".venv", "venv", "env", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
  ".tox", ".next", ".nuxt", ".svelte-kit", ".turbo", ".cache", ".parcel-cache", "coverage", ".gradle",
  ".idea", ".vscode", ".terraform", "Pods", ".dart_tool", "_build", "deps", ".elixir_ls", ".zig-cache", "zig-out",
]);

export interface WalkLimits {
  /** Stop after this many files; `truncated` then says so. */
  maxFiles: number;
  maxDepth: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxFiles: 20_000, maxDepth: 16 };

export interface WalkResult {
  /** Paths relative to the root, with "/" separators, in a stable (sorted, breadth-first) order. */
  files: string[];
  truncated: boolean;
}

export async function walkFiles(root: string, limits: WalkLimits = DEFAULT_WALK_LIMITS, signal?: AbortSignal): Promise<WalkResult> {
  const files: string[] = [];
  // Breadth first, so a truncated walk still saw the top of the tree, where the project's shape shows.
  let level: string[] = [""];
  for (let depth = 0; level.length > 0 && depth <= limits.maxDepth; depth++) {
    const next: string[] = [];
    for (const rel of level) {
      signal?.throwIfAborted();
      let entries: import("node:fs").Dirent[];
      try {
        entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
      } catch {
        continue; // unreadable directories are skipped, not fatal: the scan is advisory
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const child = rel === "" ? e.name : `${rel}/${e.name}`;
        // Symbolic links are not followed: they can loop or lead out of the project.
        if (e.isDirectory()) {
          if (!IGNORED_DIRECTORIES.has(e.name)) next.push(child);
        } else if (e.isFile()) {
          if (files.length >= limits.maxFiles) return { files, truncated: true };
          files.push(child);
        }
      }
    }
    level = next;
  }
  return { files, truncated: level.length > 0 };
}
