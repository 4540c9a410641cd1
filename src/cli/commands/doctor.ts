// `viable doctor`: for each agent CLI, whether it is installed, which version, how it would
// authenticate, and the known problems that make headless runs fail in surprising ways.

import { doctor } from "../../app/doctor.ts";
import { printJson, type Output } from "../output.ts";

export async function doctorCommand(args: { dir: string; json: boolean }, o: Output): Promise<number> {
  const report = await doctor(args.dir);
  if (args.json) {
    printJson(o, report);
    return 0;
  }
  o.out(`node ${report.node}`);
  for (const r of report.runtimes) {
    o.out(`${r.installed ? "✓" : "✗"} ${r.runtime.padEnd(9)} ${r.version ?? "-"}  ${r.binary ?? ""}`);
    o.out(`    auth: ${r.auth}`);
    for (const p of r.problems) o.out(`    ! ${p}`);
  }
  if (report.distributed) {
    o.out("distributed (store.url, loop.remote):");
    for (const c of report.distributed) {
      o.out(`${c.ok ? "✓" : "✗"} ${c.name.padEnd(9)} ${c.detail}`);
      if (c.fix) o.out(`    fix: ${c.fix}`);
    }
  }
  // A machine that cannot take part in a distributed loop is a failed check, for scripts.
  return report.distributed?.some((c) => !c.ok) ? 1 : 0;
}
