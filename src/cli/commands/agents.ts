// `viable agents`: the registry as this project sees it — which definition wins, and from where.

import { listAgents } from "../../app/agents.ts";
import { printJson, type Output } from "../output.ts";

export async function agentsCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const agents = await listAgents(args.dir);
  if (args.json) {
    printJson(o, agents);
    return 0;
  }
  const width = Math.max(...agents.map((a) => a.name.length));
  for (const a of agents) {
    o.out(`${a.name.padEnd(width)}  ${a.runtime.padEnd(8)} ${(a.model ?? "-").padEnd(10)} ${a.file ?? "built-in"}  ${a.description}`);
  }
  return 0;
}
