// `viable agents`: the registry as this project sees it — which definition wins, and from where.
// Broken agent files are listed too, each with its reason (exit 2 while any is broken).

import { listAgents } from "../../app/agents.ts";
import { EXIT } from "../exit-codes.ts";
import { configWarnings } from "../../app/project.ts";
import { printJson, type Output } from "../output.ts";

export async function agentsCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  for (const w of await configWarnings(args.dir)) o.err(`viable: ${w}`);
  const { agents, broken, warnings } = await listAgents(args.dir);
  for (const w of warnings) o.err(`viable: warning: ${w}`);
  for (const b of broken) o.err(`viable: ${b.error.message}`);
  const code = broken.length > 0 ? EXIT.usage : EXIT.ok;
  if (args.json) {
    // Broken files are listed too, each with the error a script can act on.
    printJson(o, [
      ...agents,
      ...broken.map((b) => ({ name: b.name, file: b.file, broken: { reason: b.error.reason, field: b.error.field ?? null, message: b.error.summary, fix: b.error.fix ?? null } })),
    ]);
    return code;
  }
  const width = Math.max(...agents.map((a) => a.name.length), ...broken.map((b) => b.name.length));
  for (const a of agents) {
    o.out(`${a.name.padEnd(width)}  ${a.runtime.padEnd(8)} ${(a.model ?? "-").padEnd(10)} ${a.file ?? "built-in"}  ${a.description.split("\n")[0] ?? ""}`);
  }
  for (const b of broken) o.out(`${b.name.padEnd(width)}  broken   ${"-".padEnd(10)} ${b.file}  ${b.error.message.split("\n")[0] ?? ""}`);
  return code;
}
