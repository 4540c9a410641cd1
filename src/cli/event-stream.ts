// Journal events as the CLI shows them: one NDJSON line per event for `--events` / `loop --json`
// (the log's own fields plus `seq`, the sequence number a reader resumes from), and the readable
// lines of a VSM cycle (`run -v`) and of a plan loop.

import type { LogEntry } from "../domain/events.ts";
import { formatDuration } from "./live-line.ts";

export function ndjson(e: LogEntry): string {
  const { id, timestamp, event_type, task_id, agent, data, session_id } = e;
  return JSON.stringify({ seq: id, timestamp, event_type, task_id, agent, data, session_id });
}

/** A time as the person's clock shows it, with the date when it is not today. */
function localTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  return t.toDateString() === new Date().toDateString() ? time : `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${time}`;
}

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : fallback);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const agentName = (e: LogEntry) => (e.agent ?? "").replace(/^s1-/, "");

/** The cycle's steps as they happen: what `viable run -v` prints, and what its live line shows. */
export class CycleView {
  #confidence: number | null = null;
  #step = "starting";
  #iteration = 1;
  readonly #running = new Map<string, { agent: string; runtime: string; since: number }>();
  readonly #started = Date.now();

  lineOf(e: LogEntry): string | null {
    const d = e.data;
    switch (e.event_type) {
      case "task_started":
        this.#step = "S4 scan";
        return `task ${e.task_id ?? "?"}: ${str(d.description)}`;
      case "adaptation_applied":
        return `adaptation: ${str(d.type)} (${str(d.trigger)})`;
      case "environment_scanned":
        this.#step = "S3 analysis";
        return `S4: ${str(d.analysis)}`;
      case "complexity_assessed":
        this.#confidence = typeof d.confidence === "number" ? d.confidence : null;
        return null;
      case "allocation_made":
        return `S3: ${str(d.complexity)} (${(this.#confidence ?? 0).toFixed(2)}) → ${strings(d.selected_agents).join(", ")} [${str(d.execution_mode)}]`;
      case "approval_requested":
        this.#step = "S5 approval";
        return `S5: ${str(d.question)}`;
      case "coordination_planned": {
        this.#step = "S1 agents";
        const groups = Array.isArray(d.groups) ? (d.groups as unknown[]).map((g) => strings(g).join(" + ")) : [];
        return `S2: ${groups.join(" → ")}`;
      }
      case "state_changed": {
        const iteration = typeof d.iteration === "number" ? d.iteration : 1;
        if (d.status === "busy" && iteration > this.#iteration) {
          this.#iteration = iteration;
          this.#step = "S1 agents";
          return `S1: iteration ${iteration} with the audit's findings`;
        }
        return null;
      }
      case "agent_invoked":
        this.#running.set(str(d.attempt_id), { agent: agentName(e), runtime: str(d.runtime), since: Date.now() });
        return `S1: ${agentName(e)} (${str(d.runtime)}) started`;
      case "agent_completed":
      case "agent_error": {
        this.#running.delete(str(d.attempt_id));
        // Until another agent starts, what follows is the audit.
        if (this.#running.size === 0) this.#step = "S3* audit";
        if (d.attempt_id === undefined) return null;
        return `S1: ${agentName(e)} ${str(d.status, "failed")}: ${str(d.summary) || str(d.error)}`;
      }
      case "policy_decision":
        if (d.decision === "fallback") return `S1: ${agentName(e)}: ${str(d.from)} failed (${str(d.reason)}); falling back to ${str(d.to)}`;
        if (d.decision === "budget_stop") return `S3: ${str(d.reason)}`;
        if (d.decision === "usage_limit") return `S1: ${agentName(e)}: ${str(d.runtime)} is at its usage limit until ${localTime(str(d.until))}`;
        if (d.decision === "wait_for_reset") return `S1: ${agentName(e)}: ${str(d.reason)}; waiting until ${localTime(str(d.until))}, then going on`;
        if (d.decision === "limit_reset") return `S1: ${agentName(e)}: ${str(d.reason)}; going on`;
        return null;
      case "agent_event":
        if (d.type === "retry" && d.attempt_id === undefined) return `S1: ${agentName(e)}: retry ${str(d.attempt)} in ${formatDuration(Number(d.delayMs ?? 0) / 1000)} (${str(d.reason)})`;
        return null;
      case "audit_performed":
        this.#step = "S3* audit done";
        return `S3*: audit ${d.passed === true ? "passed" : "failed"} (score ${typeof d.score === "number" ? d.score.toFixed(2) : "?"})`;
      case "conflict_detected":
        return `S3/S4: complexity disagreement (S3 ${str(d.s3)}, S4 ${str(d.s4)}); escalated to S5`;
      default:
        return null;
    }
  }

  /** The live line: the step, the agents at work with their runtimes and elapsed times. */
  status(): string {
    const now = Date.now();
    const agents = [...this.#running.values()].map((a) => `${a.agent} (${a.runtime}) ${formatDuration((now - a.since) / 1000)}`);
    const step = agents.length > 0 ? `S1 · ${agents.join(" · ")}` : this.#step;
    return `${step} · ${formatDuration((now - this.#started) / 1000)} elapsed`;
  }
}

interface Counts {
  pending: number;
  running: number;
  passed: number;
  blocked: number;
  failed: number;
}

/** The loop's progress, reduced from its events: item lines and the live status line. */
export class LoopView {
  readonly #status = new Map<string, string>();
  readonly #agents = new Map<string, string>();
  /** Items waiting for a person (their agent stopped for input). */
  readonly #waiting = new Set<string>();
  readonly #started = Date.now();
  #total = 0;
  #base: Counts = { pending: 0, running: 0, passed: 0, blocked: 0, failed: 0 };
  #seen = false;
  /** While every runtime of a chain is at its usage limit: until when. */
  #pausedUntil: string | null = null;

  lineOf(e: LogEntry): string | null {
    const d = e.data;
    const item = str(d.item);
    if (this.#seen && item !== "" && typeof d.status === "string" && e.event_type !== "agent_event") this.#status.set(item, d.status);
    if (e.event_type === "item_waiting") this.#waiting.add(item);
    else if (e.event_type === "item_started" || e.event_type === "item_answered" || e.event_type === "item_blocked" || (e.event_type === "item_handed_back" && d.status !== "abandoned")) this.#waiting.delete(item);
    switch (e.event_type) {
      case "loop_started": {
        this.#seen = true;
        this.#total = typeof d.items === "number" ? d.items : 0;
        const c = d.counts as Partial<Counts> | undefined;
        this.#base = { pending: c?.pending ?? this.#total, running: c?.running ?? 0, passed: c?.passed ?? 0, blocked: c?.blocked ?? 0, failed: c?.failed ?? 0 };
        const leftAlone = strings(d.left_alone);
        return `loop ${str(d.run_id)}: ${this.#total} items, ${d.mode === "worktree" ? `worktrees merging into ${str(d.integration_branch, "?")}` : "in place"}, concurrency ${str(d.concurrency)}` +
          (leftAlone.length ? `\nleft alone, claimed by someone else: ${leftAlone.slice(0, 8).join(", ")}${leftAlone.length > 8 ? ", ..." : ""} (--include-claimed works them)` : "");
      }
      case "loop_reconciled": {
        const parts: string[] = [];
        const synced = strings(d.synced_from_git);
        const resumed = strings(d.resumed);
        const reset = strings(d.reset);
        if (synced.length) parts.push(`${synced.length} passed per git history`);
        if (resumed.length) parts.push(`${resumed.length} resume at verification: ${resumed.join(", ")}`);
        if (reset.length) parts.push(`${reset.length} interrupted, to run again: ${reset.join(", ")}`);
        if (typeof d.reaped === "number" && d.reaped > 0) parts.push(`${d.reaped} leftover process(es) stopped`);
        const lines = [parts.length ? `resumed: ${parts.join("; ")}` : null, ...strings(d.notes).map((n) => `note: ${n}`)].filter((l) => l !== null);
        return lines.length ? lines.join("\n") : null;
      }
      case "item_started":
        return `▶ ${item} (attempt ${str(d.attempt)}${strings(d.agents).length ? `: ${strings(d.agents).join(", ")}` : ", resumed"}${typeof d.candidates === "number" ? `, ${d.candidates} candidates` : ""})`;
      case "item_passed":
        return `✓ ${item}${typeof d.commit === "string" ? ` merged ${d.commit.slice(0, 10)}` : ""}${d.reverified === true ? " (re-verified)" : ""}${d.via === "git history" ? " (per git history)" : ` ${formatDuration(Number(d.elapsed_seconds ?? 0))}`}`;
      case "item_failed":
        return `✗ ${item} attempt ${str(d.attempt)}: ${str(d.reason)}${d.will_retry === true ? " — will retry" : ""}${typeof d.kept_branch === "string" ? ` (work kept on ${d.kept_branch})` : ""}`;
      case "item_blocked": {
        // A dependent's own event says only "blocked by X"; the blocking item's line names them all.
        if (typeof d.blocked_by === "string") return null;
        const dependents = strings(d.dependents);
        return `⊘ ${item} blocked: ${str(d.reason)}${dependents.length ? `; blocks ${dependents.join(", ")}` : ""}`;
      }
      case "item_waiting":
        return `⏸ ${item} waits for a person: ${str(d.question)}\n  take it over: ${str(d.take_over)} — or answer it in the dashboard or with MCP's answer (approval ${str(d.approval_id)}): approve retries with your answer, reject blocks`;
      case "item_taken_over":
        return `⇆ ${item} taken over by ${str(d.by)}: ${str(d.attach)}`;
      case "item_handed_back":
        return d.status === "ended"
          ? `⇆ ${item} handed back by ${str(d.by)} after ${formatDuration(Number(d.seconds ?? 0))}: verifying it`
          : `⇆ ${item}: the take-over by ${str(d.by)} was abandoned (its viable attach ended without it); waiting again`;
      case "item_answered":
        return `⇆ ${item} answered by ${str(d.by)}: ${d.decision === "block" ? "block it" : "retry"}${typeof d.answer === "string" ? ` — "${d.answer}"` : ""}`;
      case "item_conflict_resolved":
        return `⇄ ${item}: conflict in ${strings(d.files).join(", ")} resolved by ${str(d.agent)}${typeof d.cost_usd === "number" ? ` ($${d.cost_usd.toFixed(4)})` : ""}`;
      case "loop_note":
        return `note${item ? ` (${item})` : ""}: ${str(d.message)}`;
      case "item_candidate_finished":
        return `  ◇ ${item} candidate ${str(d.candidate)} (${str(d.agent)} on ${str(d.runtime)}): ${d.stopped === true ? `stopped — ${str(d.reason)}` : `${d.passed === true ? "passed" : `out — ${str(d.reason, "failed")}`}, ${str(d.diff_lines)} lines, $${Number(d.cost_usd ?? 0).toFixed(4)}`}, ${formatDuration(Number(d.duration_s ?? 0))}`;
      case "item_shadow_compared": {
        const p = d.primary as { runtime?: string; passed?: boolean } | undefined;
        const s = d.shadow as { runtime?: string; passed?: boolean; reason?: string | null } | undefined;
        return `  ◌ ${item} shadow ${str(s?.runtime)}: ${d.complete === false ? `stopped — ${str(s?.reason)}` : `${s?.passed ? "passed" : "failed"} where ${str(p?.runtime)} ${p?.passed ? "passed" : "failed"}${d.agree === true ? " (agree)" : " (disagree)"}`}`;
      }
      case "item_candidates_evaluated":
        return d.winner === null ? `◆ ${item}: no candidate passed` : `◆ ${item}: candidate ${str(d.winner)} chosen by ${str(d.by)} — ${str(d.reasons)}`;
      case "failure_streak":
        return `${str(d.consecutive_failures)} attempts failed in a row${d.continued === true ? "; continuing" : ""}`;
      case "loop_paused":
        this.#pausedUntil = str(d.until);
        return `⏸ paused until ${localTime(str(d.until))}: ${str(d.reason)} (${strings(d.runtimes).join(", ")}); it goes on by itself then (Ctrl-C stops it)`;
      case "loop_resumed":
        this.#pausedUntil = null;
        return `▶ resumed after ${formatDuration(Number(d.paused_seconds ?? 0))}: the usage limit reset`;
      case "agent_invoked":
        if (typeof d.item_id === "string") this.#agents.set(str(d.attempt_id), `${d.item_id} (${agentName(e)})`);
        return null;
      case "agent_completed":
      case "agent_error":
        this.#agents.delete(str(d.attempt_id));
        return null;
      default:
        return null;
    }
  }

  /**
   * Every item was pending at the start unless the start counted it passed or blocked (those the
   * loop does not touch again); items with events since carry their latest status.
   */
  counts(): Counts {
    const c: Counts = { ...this.#base, pending: this.#base.pending - this.#status.size };
    for (const s of this.#status.values()) {
      if (s === "pending" || s === "running" || s === "passed" || s === "blocked" || s === "failed") c[s]++;
    }
    return c;
  }

  status(): string | null {
    if (!this.#seen) return null;
    const c = this.counts();
    const elapsed = (Date.now() - this.#started) / 1000;
    const remaining = c.pending + c.failed + c.running;
    const eta = c.passed > 0 && remaining > 0 ? ` · ETA ${formatDuration((elapsed / c.passed) * remaining)}` : "";
    // Candidates of one item run the same agent at once: counted, not repeated.
    const counted = new Map<string, number>();
    for (const a of this.#agents.values()) counted.set(a, (counted.get(a) ?? 0) + 1);
    const agents = [...counted].map(([a, n]) => (n > 1 ? `${a} ×${n}` : a));
    const waiting = this.#waiting.size > 0 ? ` · ${this.#waiting.size} waiting for you (viable attach ${[...this.#waiting][0]})` : "";
    const paused = this.#pausedUntil ? ` · paused until ${localTime(this.#pausedUntil)} (usage limit)` : "";
    return `${c.passed}/${this.#total} done · ${c.running} running · ${c.blocked} blocked · ${remaining} remaining${waiting}${paused} · ${formatDuration(elapsed)}${eta}${agents.length ? ` · ${agents.join(", ")}` : ""}`;
  }
}
