// `viable agents`: the registry as this project sees it — which definition wins, and from where.
// Broken agent files are listed too, each with its reason (exit 2 while any is broken).

import path from "node:path";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";

export async function agentsCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: false, command: "agents" });
  try {
    const registry = ctx.registry();
    const agents = registry.all();
    const broken = registry.broken();
    for (const w of registry.warnings()) o.err(`viable: warning: ${w.message}`);
    for (const b of broken) o.err(`viable: ${b.error.message}`);
    if (args.json) {
      printJson(o, agents.map((a) => ({ ...a, file: a.file ? path.relative(ctx.paths.root, a.file) : null })));
      return broken.length > 0 ? EXIT.usage : EXIT.ok;
    }
    const width = Math.max(...agents.map((a) => a.name.length));
    for (const a of agents) {
      const where = a.file ? path.relative(ctx.paths.root, a.file) : "built-in";
      o.out(`${a.name.padEnd(width)}  ${a.runtime.padEnd(8)} ${(a.model ?? "-").padEnd(10)} ${where}  ${a.description.split("\n")[0] ?? ""}`);
    }
    for (const b of broken) o.out(`${b.name.padEnd(width)}  broken   ${"-".padEnd(10)} ${path.relative(ctx.paths.root, b.file)}  ${b.error.message.split("\n")[0] ?? ""}`);
    return broken.length > 0 ? EXIT.usage : EXIT.ok;
  } finally {
    ctx.store.close();
  }
}
