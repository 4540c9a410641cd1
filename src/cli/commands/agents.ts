// `viable agents`: the registry as this project sees it — which definition wins, and from where.

import path from "node:path";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";

export async function agentsCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: false, command: "agents" });
  try {
    const agents = ctx.registry().all();
    if (args.json) {
      printJson(o, agents.map((a) => ({ ...a, file: a.file ? path.relative(ctx.paths.root, a.file) : null })));
      return 0;
    }
    const width = Math.max(...agents.map((a) => a.name.length));
    for (const a of agents) {
      const where = a.file ? path.relative(ctx.paths.root, a.file) : "built-in";
      o.out(`${a.name.padEnd(width)}  ${a.runtime.padEnd(8)} ${(a.model ?? "-").padEnd(10)} ${where}  ${a.description}`);
    }
    return 0;
  } finally {
    ctx.store.close();
  }
}
