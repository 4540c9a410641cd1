// `viable shadow report | off | on` (app/shadow.ts).

import { setShadows, shadowReport } from "../../app/shadow.ts";
import { EXIT } from "../exit-codes.ts";
import { printJson, type Output } from "../output.ts";

export async function shadowReportCommand(args: { dir: string; json: boolean; since?: string; last?: number }, o: Output): Promise<number> {
  const r = await shadowReport(args.dir, { ...(args.since !== undefined ? { since: args.since } : {}), ...(args.last !== undefined ? { last: args.last } : {}) });
  if (args.json) {
    printJson(o, r);
    return EXIT.ok;
  }
  const window = r.since ? ` since ${r.since}` : "";
  if (r.pairs === 0) {
    o.out(`no shadow runs recorded${window}; give an agent \`shadow: codex\` (or set "shadow" in .viable/config.json) and run \`viable loop\``);
    return EXIT.ok;
  }
  o.out(`${r.pairs} shadow pair${r.pairs === 1 ? "" : "s"}${window}${r.stopped ? ` (${r.stopped} stopped before they finished, left out)` : ""}${r.shadows_off ? "; shadows are off (`viable shadow on`)" : ""}`);
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  const ratio = (x: { ratio: number | null }) => (x.ratio === null ? "-" : `${x.ratio.toFixed(2)}x`);
  for (const g of r.groups) {
    o.out(`${g.primary}  vs shadow  ${g.shadow}: ${g.pairs} pair${g.pairs === 1 ? "" : "s"}`);
    o.out(`  agreement ${pct(g.agreement_rate)} · passed: primary ${pct(g.primary_pass_rate)}, shadow ${pct(g.shadow_pass_rate)} · same files ${pct(g.same_files_rate)}`);
    o.out(`  cost $${g.cost_usd.primary.toFixed(4)} vs $${g.cost_usd.shadow.toFixed(4)} (${ratio(g.cost_usd)}) · time ${g.seconds.primary.toFixed(1)} s vs ${g.seconds.shadow.toFixed(1)} s (${ratio(g.seconds)}) · tokens ${g.tokens.primary} vs ${g.tokens.shadow} (${ratio(g.tokens)})`);
  }
  return EXIT.ok;
}

export async function shadowSwitchCommand(args: { dir: string; json: boolean; off: boolean }, o: Output): Promise<number> {
  const r = await setShadows(args.dir, args.off);
  if (args.json) printJson(o, { shadows: args.off ? "off" : "on", was_off: r.was_off });
  else o.out(args.off ? "shadows off: running shadows stop within a moment and no new one starts, until `viable shadow on`" : r.was_off ? "shadows on again" : "shadows were not off");
  return EXIT.ok;
}
