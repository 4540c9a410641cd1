// Shadow runs (seed 000: "run shadow mode and compare old vs new paths on representative
// scenarios"): beside an item's agent, another runtime, model or agent works the same item from the
// same base in a worktree of its own, through the same pipeline and budgets, verified the same way,
// and is never merged. Both outcomes are recorded side by side (`item_shadow_compared`) for `viable
// shadow report`. `shadow: "off"` in the config, `viable shadow off` and the kill switch stop every
// shadow at once; the primary's work is never held back by its shadow.

import fs from "node:fs";
import path from "node:path";
import type { ViableConfig } from "../../config/config.ts";
import type { AgentDefinition } from "../../domain/agent.ts";
import type { Candidate } from "../../domain/candidates.ts";
import { errorMessage } from "../../domain/errors.ts";
import type { PlanItem } from "../../plan/plan.ts";
import { discardWorkspace } from "../../workspace/worktrees.ts";
import { runCandidate, type CandidatesInput, type Run } from "./candidates.ts";
import { label } from "./item-env.ts";
import type { WorkContext } from "./loop-context.ts";

/** The shadow of an agent: its own, else the config's; none when the config says "off". */
export function shadowFor(agent: AgentDefinition, config: ViableConfig): Candidate | null {
  if (config.shadow === "off") return null;
  return agent.shadow ?? config.shadow ?? null;
}

/** Whether shadows may start, and the ones running, so that `viable shadow off` stops them all. */
export class ShadowControl {
  #off: string | null = null;
  readonly #running = new Set<AbortController>();

  get off(): string | null {
    return this.#off;
  }

  /** Stops every running shadow and lets none start until `turnOn`. */
  turnOff(reason: string): void {
    this.#off = reason;
    for (const c of this.#running) c.abort(reason);
  }

  turnOn(): void {
    this.#off = null;
  }

  track(c: AbortController): () => void {
    this.#running.add(c);
    return () => this.#running.delete(c);
  }

  readonly #finishing = new Set<Promise<void>>();

  /** A shadow's comparison, finished while the loop goes on (its primary's item is not held back). */
  background(p: Promise<void>): void {
    this.#finishing.add(p);
    void p.finally(() => this.#finishing.delete(p));
  }

  /** Every shadow's comparison recorded. */
  async idle(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled([...this.#finishing]);
  }
}

/** What the primary did, measured the way a shadow is. */
export interface PrimaryMeasure {
  agent: string;
  runtime: string;
  model: string | null;
  passed: boolean;
  reason: string | null;
  files: string[];
  diff_lines: number;
  tally: { usd: number; tokens: number };
  started: number;
  /** When its attempt ended (performance.now()). */
  ended: number;
}

export interface RunningShadow {
  done: Promise<Run>;
}

export function startShadow(ctx: WorkContext & { shadows: ShadowControl }, input: Omit<CandidatesInput, "candidates">, shadow: Candidate): RunningShadow | null {
  const control = ctx.shadows;
  if (control.off !== null) return null;
  if (shadow.agent !== undefined && !ctx.registry.has(shadow.agent)) {
    ctx.recorder.event("loop_note", { item: input.item.id, message: `no shadow: it names the agent "${shadow.agent}", which the project does not have (its agents: ${ctx.registry.names().join(", ")})` });
    return null;
  }
  const controller = new AbortController();
  const onStop = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onStop, { once: true });
  const untrack = control.track(controller);
  // One worktree per attempt: a shadow still finishing must not share it with the next attempt's.
  // A shadow never waits for a usage limit to reset (that would pause the loop for a comparison).
  const done = runCandidate(ctx, input, { candidate: shadow, number: 0, workspaceId: `${input.item.id}@shadow-${input.attempt}`, slot: ctx.config.loop.concurrency + input.slot * 16 + 15, waitForReset: false }, controller.signal)
    .finally(() => {
      untrack();
      ctx.signal.removeEventListener("abort", onStop);
    });
  return { done };
}

/** Waits for the shadow, records the pair, and throws its worktree away (its diff kept beside the transcripts). */
export async function finishShadow(ctx: WorkContext, input: { item: PlanItem; attempt: number }, running: RunningShadow, primary: PrimaryMeasure): Promise<void> {
  const run = await running.done;
  const s = run.result;
  let diffFile: string | null = null;
  if (run.diff !== "") {
    diffFile = path.join(ctx.paths.transcriptsDir, `${label(ctx, input.item, input.attempt)}-shadow.diff`);
    try {
      fs.mkdirSync(path.dirname(diffFile), { recursive: true });
      fs.writeFileSync(diffFile, run.diff);
    } catch {
      diffFile = null;
    }
  }
  if (run.workspace) {
    const ws = run.workspace;
    await ctx.adminQueue.run(() => discardWorkspace(ctx.paths.root, ws)).catch((e: unknown) => {
      ctx.recorder.event("loop_note", { item: input.item.id, message: `the shadow's worktree ${ws.dir} could not be removed: ${errorMessage(e)}` });
    });
  }
  const primarySide = {
    agent: primary.agent, runtime: primary.runtime, model: primary.model, passed: primary.passed, stopped: false, reason: primary.reason, files: primary.files, diff_lines: primary.diff_lines,
    cost_usd: round(primary.tally.usd), tokens: primary.tally.tokens, duration_s: Math.round((primary.ended - primary.started) / 10) / 100,
  };
  const shadowSide = {
    agent: s.agent, runtime: s.runtime, model: s.model, passed: s.passed, stopped: s.stopped, reason: s.reason, files: s.files, diff_lines: s.diff_lines,
    cost_usd: s.cost_usd, tokens: s.tokens, duration_s: s.duration_s,
  };
  ctx.recorder.event("item_shadow_compared", {
    item: input.item.id, attempt: input.attempt, primary: primarySide, shadow: shadowSide,
    // Stopped (`viable shadow off`, the loop stopping, a usage limit) is not a verdict: such pairs are left out of the report.
    complete: !s.stopped,
    agree: primary.passed === s.passed, same_files: sameFiles(primary.files, s.files), diff_file: diffFile,
  });
}

function sameFiles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((f, i) => f === [...b].sort()[i]);
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
