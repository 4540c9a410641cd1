// `viable prune`: deletes kept branches whose work is already on the integration branch, and says
// which stay and why.

import { pruneProject } from "../../app/prune.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";

export async function pruneCommand(args: { dir: string; dryRun: boolean; json: boolean }, o: Output): Promise<number> {
  const r = await pruneProject(args.dir, { dryRun: args.dryRun });
  if (args.json) {
    const row = (b: (typeof r.deleted)[number]) => ({ name: b.name, tip: b.tip, committed_at: b.committedAt, why: b.why, files: b.files });
    printJson(o, { integration_branch: r.integration, dry_run: r.dry_run, deleted: r.deleted.map(row), kept: r.kept.map(row) });
    return EXIT.ok;
  }
  const verb = r.dry_run ? "would delete" : "deleted";
  for (const b of r.deleted) o.out(`${verb} ${b.name} — ${b.why}`);
  for (const b of r.kept) o.out(`kept ${b.name} — ${b.why}${b.files.length > 0 ? `: ${b.files.slice(0, 5).join(", ")}${b.files.length > 5 ? ", ..." : ""}` : ""}`);
  o.out(`${r.deleted.length} kept branch(es) ${r.dry_run ? "would be deleted" : "deleted"}, ${r.kept.length} kept (compared with ${r.integration})`);
  return EXIT.ok;
}
