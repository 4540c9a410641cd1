// The projects one server shows: each watched (a reader following its journal), named by a short id
// taken from its directory, with the jobs this server started in it.

import path from "node:path";
import { UserError } from "../domain/errors.ts";
import { watchProject, type WatchedProject } from "../app/watch.ts";
import type { McpProjects } from "../mcp/tools.ts";

export interface HubProject extends WatchedProject {
  id: string;
}

export class ProjectHub {
  readonly #projects = new Map<string, HubProject>();

  /** Watches each directory (once, however often it is named); on a failure, none. */
  async open(dirs: readonly string[], url: string | null): Promise<void> {
    try {
      for (const dir of dirs) {
        const watched = await watchProject(dir, "serve", url);
        if ([...this.#projects.values()].some((p) => p.project.paths.root === watched.project.paths.root)) {
          await watched.close();
          continue;
        }
        const id = this.#freeId(slug(path.basename(watched.project.paths.root)));
        this.#projects.set(id, { ...watched, id });
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  get(id: string): HubProject {
    const p = this.#projects.get(id);
    if (!p) throw new UserError({ reason: "not_found", field: "project", message: `this server shows no project "${id}"`, fix: `use one of: ${[...this.#projects.keys()].join(", ")}` });
    return p;
  }

  all(): HubProject[] {
    return [...this.#projects.values()];
  }

  /** The projects as the MCP tools reach them: by id, or the first when none is named. */
  mcpProjects(): McpProjects {
    return {
      get: (id) => {
        const p = id === undefined ? this.all()[0] : this.get(id);
        if (!p) throw new UserError({ reason: "not_found", field: "project", message: "this server shows no project", fix: "start `viable serve` with a project directory" });
        return { id: p.id, project: p.project };
      },
      ids: () => [...this.#projects.keys()],
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#projects.values()].map((p) => p.close()));
    this.#projects.clear();
  }

  #freeId(base: string): string {
    let id = base;
    for (let n = 2; this.#projects.has(id); n++) id = `${base}-${n}`;
    return id;
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "project";
}
