// `viable shadow report|off|on`: what shadow runs found, and the switch that stops them. A report
// summarises a window of shadow pairs (item_shadow_compared) per pair of primary and shadow —
// how often they agreed, each side's pass rate, and what the shadow cost and took against the
// primary — so a person can decide on data whether to switch. Pairs whose shadow was stopped are
// counted apart, not as disagreements.

import { loadConfigLeniently, storeUrl } from "../config/config.ts";
import { UserError } from "../domain/errors.ts";
import type { LoopEventData, ShadowSide } from "../domain/loop-events.ts";
import { openStore } from "../store/store.ts";
import type { ShadowSwitch } from "../store/records.ts";
import { resolveProject } from "../workspace/project.ts";
import { withProject } from "./project.ts";

export interface ShadowGroup {
  primary: string;
  shadow: string;
  pairs: number;
  /** Share of pairs where both passed verification or both failed it. */
  agreement_rate: number;
  primary_pass_rate: number;
  shadow_pass_rate: number;
  /** Share of pairs where both changed the same files. */
  same_files_rate: number;
  cost_usd: { primary: number; shadow: number; ratio: number | null };
  seconds: { primary: number; shadow: number; ratio: number | null };
  tokens: { primary: number; shadow: number; ratio: number | null };
}

export interface ShadowReport {
  since: string | null;
  pairs: number;
  /** Pairs whose shadow was stopped (`viable shadow off`, the loop stopping): left out of the groups. */
  stopped: number;
  groups: ShadowGroup[];
  shadows_off: ShadowSwitch | null;
}

/** `since`: an ISO time, or an age such as 90m, 24h, 7d; `last`: the newest N pairs. */
export async function shadowReport(dir: string, o: { since?: string; last?: number } = {}): Promise<ShadowReport> {
  const since = o.since !== undefined ? sinceTime(o.since) : null;
  if (o.last !== undefined && !(Number.isInteger(o.last) && o.last > 0)) throw new UserError({ reason: "bad_usage", field: "--last", message: "is not a positive whole number", fix: "give how many of the newest pairs to report, e.g. --last 20" });
  return withProject(dir, { writer: false, command: "shadow report" }, async (p) => {
    let events = (await p.store.queries.events({ eventType: "item_shadow_compared" })).filter((e) => since === null || e.timestamp >= since);
    if (o.last !== undefined) events = events.slice(-o.last);
    const pairs = events.map((e) => e.data as unknown as LoopEventData["item_shadow_compared"]);
    const complete = pairs.filter((x) => x.complete);
    const groups = new Map<string, LoopEventData["item_shadow_compared"][]>();
    for (const x of complete) {
      const key = `${side(x.primary)}\u0000${side(x.shadow)}`;
      groups.set(key, [...(groups.get(key) ?? []), x]);
    }
    return {
      since, pairs: pairs.length, stopped: pairs.length - complete.length, shadows_off: await p.store.queries.shadowSwitch(),
      groups: [...groups.entries()].map(([key, xs]) => {
        const [primary, shadow] = key.split("\u0000") as [string, string];
        const sum = (f: (x: LoopEventData["item_shadow_compared"]) => number) => xs.reduce((s, x) => s + f(x), 0);
        const share = (f: (x: LoopEventData["item_shadow_compared"]) => boolean) => round(xs.filter(f).length / xs.length, 3);
        const pair = (a: number, b: number) => ({ primary: round(a, 6), shadow: round(b, 6), ratio: a > 0 ? round(b / a, 3) : null });
        return {
          primary, shadow, pairs: xs.length,
          agreement_rate: share((x) => x.agree), primary_pass_rate: share((x) => x.primary.passed), shadow_pass_rate: share((x) => x.shadow.passed),
          same_files_rate: share((x) => x.same_files),
          cost_usd: pair(sum((x) => x.primary.cost_usd), sum((x) => x.shadow.cost_usd)),
          seconds: pair(sum((x) => x.primary.duration_s), sum((x) => x.shadow.duration_s)),
          tokens: pair(sum((x) => x.primary.tokens), sum((x) => x.shadow.tokens)),
        };
      }),
    };
  });
}

/** `viable shadow off` / `on`: every loop of the project stops its shadows within a moment, or lets them start again. */
export async function setShadows(dir: string, off: boolean, source = "cli"): Promise<{ was_off: boolean }> {
  const paths = await resolveProject(dir);
  const store = await openStore(paths, { writer: false, create: true, command: `shadow ${off ? "off" : "on"}`, url: storeUrl(loadConfigLeniently(paths.configFile).config) });
  try {
    const was = (await store.queries.shadowSwitch()) !== null;
    await store.journal.commit({
      event: { event_type: "shadow_switch", data: { off, source } },
      changes: [{ type: "shadow_switch_set", value: { off, since: store.timestamp(), by_pid: process.pid, source } }],
    });
    return { was_off: was };
  } finally {
    await store.close();
  }
}

function side(s: ShadowSide): string {
  return `${s.agent} on ${s.runtime}${s.model ? ` (${s.model})` : ""}`;
}

function sinceTime(text: string): string {
  const age = /^(\d+)\s*(m|h|d)$/.exec(text.trim());
  if (age) return new Date(Date.now() - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "m" | "h" | "d"]).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UserError({ reason: "bad_usage", field: "--since", message: `"${text}" is neither a time nor an age`, fix: "give an ISO time (2026-11-30T12:00:00Z) or an age such as 90m, 24h, 7d" });
  return new Date(t).toISOString();
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
