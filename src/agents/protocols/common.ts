// What every agent CLI's stream parser shares: the parser contract, the facts it keeps while lines
// arrive, and the one place where those facts and the way the process ended become an outcome.
// Parsers are pure: no I/O, no clock; the runtime feeds them lines and tells them how it ended.

import type { AgentEvent, AttemptOutcome, OutcomeFailure, OutcomeStatus, Usage } from "../../domain/outcome.ts";

/** How the process ended from the supervisor's side: on its own, or stopped by it. */
export type Termination = "exited" | "cancelled" | "timed_out";

export interface ExitFacts {
  exitCode: number | null;
  signal: string | null;
  termination: Termination;
  durationMs?: number;
  outputTruncated?: boolean;
}

export interface ProtocolParser {
  /**
   * One line of the CLI's stdout, without the newline. Never throws: garbage becomes a `stderr` event.
   * `usage` events carry the attempt's running totals so far, not increments.
   */
  push(line: string): AgentEvent[];
  /** One line of the CLI's stderr; kept (the tail) to explain a failure that the protocol does not. */
  pushStderr(line: string): AgentEvent[];
  /** Call once stdout has closed: returns what was still buffered. */
  end(): AgentEvent[];
  /** The outcome, from the protocol's facts first and the exit only where the protocol is silent. */
  classify(exit: ExitFacts): AttemptOutcome;
  /**
   * Set once the stream shows that the run cannot succeed however long it goes on — the CLI
   * retrying a request the provider refused for good (a wrong key: HTTP 401). The runtime stops
   * the process at once; the outcome is this verdict, not "cancelled".
   */
  readonly fatal: Verdict | undefined;
  readonly sessionId: string | undefined;
  readonly model: string | undefined;
}

export interface ParserOptions {
  /** The workspace: file paths the CLI reports are made relative to it. */
  cwd?: string;
  /**
   * Permissions were brokered (claude): every denial was the project's policy or a person's answer,
   * and the agent was told — the run is judged by its result and the verification, not ended as
   * needs_input.
   */
  brokered?: boolean;
}

/** What the protocol itself said about the end of the run; undefined = it said nothing. */
export interface Verdict {
  status: Exclude<OutcomeStatus, "cancelled" | "timed_out">;
  error?: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** Why, when it is the setup rather than the work (the key, the model name, the URL). */
  failure?: OutcomeFailure;
}

export const SUMMARY_MAX_CHARS = 300;
const STDERR_TAIL_LINES = 20;

/** The facts a parser collects; subclasses interpret their protocol's lines into them. */
export abstract class ParserBase implements ProtocolParser {
  sessionId: string | undefined;
  model: string | undefined;
  protected usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  protected costUsd: number | undefined;
  protected lastAssistantText: string | undefined;
  protected verdict: Verdict | undefined;
  fatal: Verdict | undefined;
  protected readonly changedFiles = new Set<string>();
  protected readonly stderrTail: string[] = [];
  protected readonly cwd: string | undefined;

  constructor(options: ParserOptions = {}) {
    this.cwd = options.cwd;
  }

  push(line: string): AgentEvent[] {
    const trimmed = line.trim();
    if (trimmed === "") return [];
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return [{ type: "stderr", text: line }];
    }
    if (!isRecord(value)) return [{ type: "stderr", text: line }];
    try {
      return this.onEvent(value);
    } catch (e) {
      // A line of an unexpected shape is a diagnostic, not a reason to lose the run.
      return [{ type: "stderr", text: `unparsed ${String(value["type"])} event (${e instanceof Error ? e.message : String(e)}): ${line}` }];
    }
  }

  pushStderr(line: string): AgentEvent[] {
    if (line.trim() === "") return [];
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    return [{ type: "stderr", text: line }];
  }

  end(): AgentEvent[] {
    return [];
  }

  protected abstract onEvent(event: Record<string, unknown>): AgentEvent[];

  /** The verdict when the protocol gave none; CLIs whose success is implicit override it. */
  protected implicitVerdict(_exit: ExitFacts): Verdict | undefined {
    return undefined;
  }

  classify(exit: ExitFacts): AttemptOutcome {
    // A run stopped because it could not succeed ends with the reason it could not, not "cancelled".
    const verdict = this.fatal ?? this.verdict ?? this.implicitVerdict(exit);
    const base = {
      exitCode: exit.exitCode,
      signal: exit.signal,
      usage: { ...this.usage },
      ...(this.costUsd === undefined ? {} : { costUsd: this.costUsd }),
      ...(this.sessionId === undefined ? {} : { sessionId: this.sessionId }),
      durationMs: exit.durationMs ?? 0,
      outputTruncated: exit.outputTruncated ?? false,
      ...(this.changedFiles.size > 0 ? { changedFiles: [...this.changedFiles].sort() } : {}),
    };
    // A run the protocol reports as done is done, even if a cancel or timeout raced its exit.
    if (verdict?.status === "succeeded") return { ...base, status: "succeeded", summary: this.summary(), retryable: false, ...(verdict.error ? { error: verdict.error } : {}) };
    if (exit.termination === "cancelled" && this.fatal === undefined) {
      return { ...base, status: "cancelled", summary: "Cancelled.", error: "cancelled by the supervisor", retryable: false };
    }
    if (exit.termination === "timed_out") {
      return { ...base, status: "timed_out", summary: "Timed out.", error: "stopped by the supervisor after its time limit", retryable: true };
    }
    if (verdict) {
      const error = verdict.error ?? (verdict.status === "needs_input" ? "the agent is waiting for input" : undefined);
      return {
        ...base,
        status: verdict.status,
        // An agent that stopped for input said why in its last words: they are what a person is asked.
        summary: trimSummary((verdict.status === "needs_input" ? this.summary() || error : error ?? this.summary()) ?? ""),
        ...(error === undefined ? {} : { error }),
        retryable: verdict.retryable,
        ...(verdict.retryAfterMs === undefined ? {} : { retryAfterMs: verdict.retryAfterMs }),
        ...(verdict.failure === undefined ? {} : { failure: verdict.failure }),
      };
    }
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode ?? "unknown"}`;
    const stderr = this.stderrTail.slice(-3).join(" | ");
    const error = `the agent ended without a result (${how})${stderr ? `: ${stderr}` : ""}`;
    return { ...base, status: "failed", summary: trimSummary(error), error, retryable: false };
  }

  protected summary(): string {
    return trimSummary(this.lastAssistantText ?? "");
  }

  protected recordFile(file: string): string {
    const relative = this.cwd && file.startsWith(`${this.cwd}/`) ? file.slice(this.cwd.length + 1) : file;
    this.changedFiles.add(relative);
    return relative;
  }
}

export function trimSummary(text: string, max = SUMMARY_MAX_CHARS): string {
  const flat = text.trim().replace(/\s+/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Classifies an HTTP status the way every provider means it. */
export function verdictForHttpStatus(status: number, error: string, retryAfterMs?: number): Verdict {
  if (status === 429) return { status: "rate_limited", error, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  // 529 is Anthropic's "overloaded"; 408 a request timeout: both pass with time.
  if (status >= 500 || status === 408) return { status: "failed", error, retryable: true };
  if (NEVER_RETRYABLE.has(status)) return { status: "failed", error, retryable: false, failure: { kind: status === 401 || status === 403 ? "authentication" : "configuration", status } };
  return { status: "failed", error, retryable: false };
}

/**
 * Statuses that no retry can turn into a success: the provider refused the credentials (401,
 * 403) or the request itself (400, 404: a model it does not have, a wrong base URL).
 */
export const NEVER_RETRYABLE: ReadonlySet<number> = new Set([400, 401, 403, 404]);

/** A request refused for good while the CLI announces it will retry it: what the run ends with. */
export function refusedForGood(cli: string, status: number, detail: string | undefined): Verdict {
  const what = status === 401 || status === 403 ? "refused the credentials" : "refused the request";
  const error = `the provider ${what} (HTTP ${status}${detail ? `: ${detail}` : ""}); ${cli} would keep retrying, so Viable stopped it — retrying cannot help`;
  return verdictForHttpStatus(status, error);
}

/** Finds an HTTP status in an error message ("429 Too Many Requests", "status: 500", "[401]"). */
export function statusInMessage(message: string): number | undefined {
  const m =
    /\b(?:status(?:\s*code)?|http)\s*[:=]?\s*(\d{3})\b/i.exec(message) ??
    /\bAPI Error:?\s*\(?(\d{3})\b/i.exec(message) ??
    /\b(4\d\d|5\d\d)\s+(?:[A-Z][a-z]+|[A-Z]{2,})/.exec(message) ??
    /\[(4\d\d|5\d\d)\]/.exec(message) ??
    /"code"\s*:\s*(4\d\d|5\d\d)\b/.exec(message);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** Finds a retry hint in an error message ("retry after 7 seconds", "try again in 1.5s", "retry-after: 30"). */
/**
 * The provider's usage limit is reached (a subscription's hours or week, a quota): no retry helps
 * before `resetsAt`, when the CLI said it; the engine leaves the runtime alone until then.
 */
export function usageLimitVerdict(error: string, resetsAt: Date | null): Verdict {
  const at = resetsAt !== null && Number.isFinite(resetsAt.getTime()) ? resetsAt.toISOString() : null;
  return { status: "rate_limited", error, retryable: false, failure: { kind: "usage_limit", resetsAt: at } };
}

/** A wait written as "2h13m47s", "3600s", "1.5 hours": milliseconds, or undefined. */
export function durationInText(text: string): number | undefined {
  const hms = /\b(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)\b|\b(\d+)h(?:(\d+)m)?\b/.exec(text);
  if (!hms) return undefined;
  const [, h1, m1, s1, h2, m2] = hms;
  const hours = Number(h1 ?? h2 ?? 0);
  const minutes = Number(m1 ?? m2 ?? 0);
  const seconds = Number(s1 ?? 0);
  return Math.round(((hours * 60 + minutes) * 60 + seconds) * 1000);
}

export function retryAfterInMessage(message: string): number | undefined {
  const m = /(?:retry[- ]after|try again in|retry in|retrying in)\D{0,12}?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|sec|seconds?|m|min|minutes?)?\b/i.exec(message);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? "s").toLowerCase();
  if (unit.startsWith("ms") || unit.startsWith("milli")) return Math.round(n);
  if (unit === "m" || unit.startsWith("min")) return Math.round(n * 60_000);
  return Math.round(n * 1000);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

/** Tool output as text: strings as they are, content-block arrays joined, anything else as JSON. */
export function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.map((b) => (isRecord(b) && typeof b["text"] === "string" ? b["text"] : textOf(b))).join("\n");
  return JSON.stringify(v);
}

/** What a runtime asks of a CLI invocation; each protocol turns it into that CLI's argv. */
import type { PermissionRules } from "../../domain/permissions.ts";

export interface AgentInvocationOptions {
  prompt: string;
  model?: string;
  /** The agent definition's own prompt; prepended to the task prompt where a CLI has no flag for it. */
  systemPrompt?: string;
  /** Continue this session (the CLI's own id, from a previous outcome's sessionId). */
  resumeSessionId?: string;
  /** Edit files and run commands without asking: the worktree is the sandbox. */
  autoApprove: boolean;
  maxTurns?: number;
  /** Claude Code's tool names: the only tools the agent may use ([] = none). */
  tools?: string[];
  disallowedTools?: string[];
  /**
   * Brokered permissions (claude): the CLI applies allow and deny itself, and brings every other
   * request to Viable over its stream-json control protocol; the prompt then goes on stdin.
   */
  permissionRules?: PermissionRules;
}

/** The task prompt with the agent's prompt in front, for CLIs without a system-prompt flag. */
export function combinedPrompt(o: AgentInvocationOptions): string {
  return o.systemPrompt ? `${o.systemPrompt.trim()}\n\n---\n\n${o.prompt}` : o.prompt;
}
