// Codex (`codex exec --json`): argv, environment, stream parser.

import type { AgentEvent } from "../../domain/outcome.ts";
import {
  arr,
  combinedPrompt,
  isRecord,
  NEVER_RETRYABLE,
  num,
  ParserBase,
  refusedForGood,
  retryAfterInMessage,
  statusInMessage,
  str,
  usageLimitVerdict,
  verdictForHttpStatus,
  type AgentInvocationOptions,
  type ParserOptions,
  type ProtocolParser,
  type Verdict,
} from "./common.ts";

/** Codex reads no telemetry variables; its phoning home is switched off with -c in the argv. */
export const CODEX_FIXED_ENV: Readonly<Record<string, string>> = {};

export const CODEX_PASSTHROUGH_ENV: readonly string[] = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEX_HOME", "CODEX_API_KEY"];

/**
 * Spawn the native binary (vendor/<triple>/bin/codex), not the npm wrapper: the wrapper runs it
 * as a child that a kill of the wrapper orphans. Stdin must be closed (/dev/null): with a pipe,
 * `codex exec` waits to append stdin to the prompt.
 */
export function codexArgs(o: AgentInvocationOptions): string[] {
  const head = o.resumeSessionId ? ["exec", "resume", "--json"] : ["exec", "--json"];
  const args = [...head, "--skip-git-repo-check"];
  if (o.model) args.push("-m", o.model);
  args.push(
    "-c", `approval_policy="never"`,
    "-c", `sandbox_mode="${o.autoApprove ? "danger-full-access" : "workspace-write"}"`,
    // Without these two it contacts github/chatgpt hosts at start.
    "-c", "analytics.enabled=false",
    "-c", "features.plugins=false",
  );
  if (o.resumeSessionId) args.push(o.resumeSessionId);
  args.push("--", combinedPrompt(o));
  return args;
}

/**
 * `codex exec --json`: thread.started, turn.started, item.started/updated/completed (items:
 * agent_message, reasoning, command_execution, file_change, mcp_tool_call, web_search, todo_list,
 * error), and turn.completed with usage or `error` + turn.failed. A failing shell command inside a
 * completed turn is the agent's business, not a failed run.
 */
export class CodexParser extends ParserBase {
  private readonly announced = new Set<string>();
  private lastError: string | undefined;

  protected onEvent(e: Record<string, unknown>): AgentEvent[] {
    switch (e["type"]) {
      case "thread.started":
        this.sessionId = str(e["thread_id"]) ?? this.sessionId;
        return [];
      case "item.started":
        return isRecord(e["item"]) ? this.onItemStarted(e["item"]) : [];
      case "item.completed":
        return isRecord(e["item"]) ? this.onItemCompleted(e["item"]) : [];
      case "turn.completed": {
        const u = isRecord(e["usage"]) ? e["usage"] : {};
        // Each turn reports its own usage; a resumed or multi-turn run adds up.
        this.usage = {
          inputTokens: this.usage.inputTokens + (num(u["input_tokens"]) ?? 0),
          outputTokens: this.usage.outputTokens + (num(u["output_tokens"]) ?? 0),
          cachedInputTokens: this.usage.cachedInputTokens + (num(u["cached_input_tokens"]) ?? 0),
        };
        this.verdict = { status: "succeeded", retryable: false };
        return [{ type: "usage", usage: { ...this.usage } }];
      }
      case "turn.failed": {
        const error = isRecord(e["error"]) ? str(e["error"]["message"]) : undefined;
        this.verdict = codexVerdict(error ?? this.lastError ?? "the turn failed");
        return [];
      }
      case "error": {
        const message = str(e["message"]) ?? "";
        // Stream retries are announced as errors: "Reconnecting... 2/5 (...)".
        const retry = /Reconnecting\.*\s*(\d+)\/(\d+)/i.exec(message);
        if (retry) {
          // "unexpected status 401 Unauthorized": codex retries even that, five times.
          const status = /unexpected status (\d{3})/i.exec(message);
          if (status?.[1] !== undefined && NEVER_RETRYABLE.has(Number(status[1]))) this.fatal ??= refusedForGood("codex", Number(status[1]), message);
          return [{ type: "retry", attempt: Number(retry[1]), delayMs: retryAfterInMessage(message) ?? 0, reason: message }];
        }
        this.lastError = message;
        return [{ type: "message", role: "system", text: message }];
      }
      default:
        return [];
    }
  }

  private onItemStarted(item: Record<string, unknown>): AgentEvent[] {
    const call = toolCallOf(item);
    if (!call) return [];
    this.announced.add(call.id);
    return [call];
  }

  private onItemCompleted(item: Record<string, unknown>): AgentEvent[] {
    const id = str(item["id"]) ?? "";
    switch (item["type"]) {
      case "agent_message": {
        const text = str(item["text"]) ?? "";
        if (text.trim() === "") return [];
        this.lastAssistantText = text;
        return [{ type: "message", role: "assistant", text }];
      }
      case "command_execution":
      case "mcp_tool_call": {
        const out: AgentEvent[] = [];
        const call = toolCallOf(item);
        if (call && !this.announced.has(id)) out.push(call);
        this.announced.delete(id);
        const ok = item["type"] === "command_execution" ? item["exit_code"] === 0 && item["status"] !== "failed" : item["status"] !== "failed" && item["error"] == null;
        const output = item["type"] === "command_execution" ? (str(item["aggregated_output"]) ?? "") : JSON.stringify(item["result"] ?? item["error"] ?? null);
        out.push({ type: "tool_result", id, ok, output });
        return out;
      }
      case "file_change": {
        // A file_change item is codex's apply_patch tool: shown as a call, a result, and the files.
        const out: AgentEvent[] = [];
        const call = toolCallOf(item);
        if (call && !this.announced.has(id)) out.push(call);
        this.announced.delete(id);
        const ok = item["status"] !== "failed";
        out.push({ type: "tool_result", id, ok, output: ok ? "" : "patch failed" });
        if (!ok) return out;
        for (const c of arr(item["changes"])) {
          const file = isRecord(c) ? str(c["path"]) : undefined;
          if (!file || !isRecord(c)) continue;
          const kind = c["kind"] === "add" ? "add" : c["kind"] === "delete" ? "delete" : c["kind"] === "update" ? "modify" : "unknown";
          out.push({ type: "file_change", path: this.recordFile(file), kind });
        }
        return out;
      }
      case "error": {
        // Warnings such as "Model metadata ... not found" arrive as error items in a healthy run.
        const text = str(item["message"]) ?? "";
        return text ? [{ type: "message", role: "system", text }] : [];
      }
      default:
        return [];
    }
  }
}

function toolCallOf(item: Record<string, unknown>): (AgentEvent & { type: "tool_call" }) | undefined {
  const id = str(item["id"]) ?? "";
  if (item["type"] === "command_execution") return { type: "tool_call", id, name: "shell", input: { command: str(item["command"]) ?? "" } };
  if (item["type"] === "file_change") return { type: "tool_call", id, name: "apply_patch", input: { changes: item["changes"] } };
  if (item["type"] === "mcp_tool_call") {
    return { type: "tool_call", id, name: `mcp__${str(item["server"]) ?? "?"}__${str(item["tool"]) ?? "?"}`, input: item["arguments"] };
  }
  return undefined;
}

function codexVerdict(message: string): Verdict {
  // Codex's usage limit reaches `--json` only as its words (U+2019 in "You’ve"), the reset as a
  // local time: "try again at 6:16 PM." today, or "at Dec 3rd, 2026 5:16 PM."; "Try again later."
  // when the provider gave none. The CLI inherits Viable's time zone, so local time reads it.
  if (/^You[’']ve hit your usage limit/.test(message)) return usageLimitVerdict(message, localTimeIn(message));
  const status = statusInMessage(message) ?? (/too many requests|rate limit/i.test(message) ? 429 : /unauthorized/i.test(message) ? 401 : undefined);
  if (status !== undefined) return verdictForHttpStatus(status, message, retryAfterInMessage(message));
  return { status: "failed", error: message, retryable: /stream disconnected|connection|timed? ?out|internal server error|high demand|temporar|overloaded/i.test(message) };
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function localTimeIn(message: string, now = new Date()): Date | null {
  const m = /try again at (?:([A-Za-z]{3})[a-z]* (\d{1,2})(?:st|nd|rd|th)?, (\d{4}) )?(\d{1,2}):(\d{2}) ?([AP]M)/i.exec(message);
  if (!m) return null;
  const [, month, day, year, hh, mm, ampm] = m;
  const hours = (Number(hh) % 12) + (ampm!.toUpperCase() === "PM" ? 12 : 0);
  if (month !== undefined) {
    const index = MONTHS.indexOf(month.toLowerCase());
    return index < 0 ? null : new Date(Number(year), index, Number(day), hours, Number(mm));
  }
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, Number(mm));
  // A time earlier than now is tomorrow's.
  if (today.getTime() < now.getTime() - 60_000) today.setDate(today.getDate() + 1);
  return today;
}

export function createCodexParser(options: ParserOptions = {}): ProtocolParser {
  return new CodexParser(options);
}
