// Claude Code (`claude -p --output-format stream-json --verbose`): argv, environment, stream parser.

import type { AgentEvent, Usage } from "../../domain/outcome.ts";
import {
  arr,
  durationInText,
  isRecord,
  NEVER_RETRYABLE,
  num,
  ParserBase,
  refusedForGood,
  retryAfterInMessage,
  statusInMessage,
  str,
  textOf,
  usageLimitVerdict,
  verdictForHttpStatus,
  type AgentInvocationOptions,
  type ParserOptions,
  type ProtocolParser,
  type Verdict,
} from "./common.ts";

/** Set on every run: no telemetry, no update checks, no traffic but the model API. */
export const CLAUDE_FIXED_ENV: Readonly<Record<string, string>> = {
  DISABLE_TELEMETRY: "1",
  DISABLE_AUTOUPDATER: "1",
  DISABLE_ERROR_REPORTING: "1",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
};

/** Taken from the user's environment when present: credentials, endpoint, provider choice. */
export const CLAUDE_PASSTHROUGH_ENV: readonly string[] = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_MODEL",
  "ANTHROPIC_SMALL_FAST_MODEL",
  "CLAUDE_CODE_USE_BEDROCK",
  "CLAUDE_CODE_USE_VERTEX",
  "CLAUDE_CONFIG_DIR",
  "AWS_REGION",
  "AWS_PROFILE",
  "CLOUD_ML_REGION",
  "ANTHROPIC_VERTEX_PROJECT_ID",
  // Claude Code's own tuning variables (timeouts, thinking budget, caching).
  "API_TIMEOUT_MS",
  "MAX_THINKING_TOKENS",
  "BASH_DEFAULT_TIMEOUT_MS",
  "BASH_MAX_TIMEOUT_MS",
  "DISABLE_PROMPT_CACHING",
  "MCP_TIMEOUT",
];

export function claudeArgs(o: AgentInvocationOptions): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose"];
  if (o.model) args.push("--model", o.model);
  if (o.systemPrompt) args.push("--append-system-prompt", o.systemPrompt);
  if (o.resumeSessionId) args.push("--resume", o.resumeSessionId);
  if (o.maxTurns !== undefined) args.push("--max-turns", String(o.maxTurns));
  args.push(...claudeToolArgs(o));
  if (o.permissionRules) {
    // Brokered: claude's own rules first (allow and deny never reach us); what they leave open, and
    // what `ask` names, comes to Viable as a `can_use_tool` control request. The prompt is the first
    // stream-json message on stdin (see claudeUserMessage), which stays open for the answers.
    const ask = o.permissionRules.ask.length > 0 ? ["--settings", JSON.stringify({ permissions: { ask: o.permissionRules.ask } })] : [];
    args.push("--permission-mode", "default", "--input-format", "stream-json", "--permission-prompt-tool", "stdio", ...ask);
    return args;
  }
  // Without bypass, a headless run cannot ask: each tool needing permission is denied and the run
  // ends "successfully" with permission_denials — the parser reports that as needs_input.
  if (o.autoApprove) args.push("--permission-mode", "bypassPermissions");
  // After "--" a prompt that starts with "-" is still the prompt.
  args.push("--", o.prompt);
  return args;
}

/**
 * An agent file's `tools` and `disallowedTools`, meaning what they mean to Claude Code: `--tools`
 * makes only those built-in tools exist (so the list holds even in bypass mode; unknown names are
 * ignored by claude, MCP tools are not built-ins), `--allowedTools` lets them run without asking,
 * `--disallowedTools` takes tools away. Patterns such as `Bash(git *)` are rules for
 * `--allowedTools`; their tool (`Bash`) is what `--tools` needs.
 */
export function claudeToolArgs(o: Pick<AgentInvocationOptions, "tools" | "disallowedTools" | "permissionRules">): string[] {
  const args: string[] = [];
  if (o.tools !== undefined) {
    const builtIn = [...new Set(o.tools.filter((t) => !t.startsWith("mcp__")).map((t) => t.replace(/\(.*$/s, "").trim()).filter(Boolean))];
    args.push("--tools", builtIn.join(","));
  }
  // Brokered, only the project's rules let a tool run unasked: an agent's `tools` say what exists,
  // not what may run without a person (with the project's deny rules added to the agent's own).
  const allowed = o.permissionRules ? o.permissionRules.allow : (o.tools ?? []);
  const denied = [...(o.disallowedTools ?? []), ...(o.permissionRules?.deny ?? [])];
  if (allowed.length > 0) args.push("--allowedTools", allowed.join(","));
  if (denied.length > 0) args.push("--disallowedTools", denied.join(","));
  return args;
}

/** A process that takes its tasks as stream-json user messages on stdin (the warm pool). */
export function claudeWarmArgs(o: Pick<AgentInvocationOptions, "model" | "systemPrompt" | "maxTurns" | "tools" | "disallowedTools">): string[] {
  const args = ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose"];
  if (o.model) args.push("--model", o.model);
  if (o.systemPrompt) args.push("--append-system-prompt", o.systemPrompt);
  if (o.maxTurns !== undefined) args.push("--max-turns", String(o.maxTurns));
  args.push(...claudeToolArgs(o));
  args.push("--permission-mode", "bypassPermissions");
  return args;
}

/** Environment a run needs on top of the passthrough: as root, bypass mode refuses to start unless IS_SANDBOX=1. */
export function claudeEnv(o: { autoApprove: boolean; isRoot: boolean }): Record<string, string> {
  return { ...CLAUDE_FIXED_ENV, ...(o.autoApprove && o.isRoot ? { IS_SANDBOX: "1" } : {}) };
}

/**
 * Claude's stream-json, and Qwen Code's copy of it: `system/init`, `assistant` and `user` lines
 * carrying content blocks, `system/api_retry`, and one final `result`. The differences between
 * the two are in the options.
 */
export interface ClaudeStreamOptions extends ParserOptions {
  /** For messages: "claude" or "qwen". */
  cli?: string;
  /** Tools whose successful result means a file was written, and the input field naming it. */
  fileTools?: Readonly<Record<string, string>>;
}

const CLAUDE_FILE_TOOLS: Readonly<Record<string, string>> = { Write: "file_path", Edit: "file_path", MultiEdit: "file_path", NotebookEdit: "notebook_path" };

export class ClaudeStreamParser extends ParserBase {
  private readonly fileTools: Readonly<Record<string, string>>;
  private readonly cli: string;
  /** tool_use id → the file it targets, for tools that write files. */
  private readonly pendingFiles = new Map<string, string>();
  /** Claude reports no retry-after in its result; the delay it chose for its last 429 retry honours it. */
  private rateLimitDelayMs: number | undefined;
  /** Model calls already counted: each call's content blocks come as separate lines with its usage repeated. */
  private readonly countedMessages = new Set<string>();
  private running: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };

  private readonly brokered: boolean;
  /** When the usage limit resets, as a rejected `rate_limit_event` or the API error's params said. */
  private limitResetsAt: Date | null = null;

  constructor(options: ClaudeStreamOptions = {}) {
    super(options);
    this.fileTools = options.fileTools ?? CLAUDE_FILE_TOOLS;
    this.cli = options.cli ?? "claude";
    this.brokered = options.brokered === true;
  }

  protected onEvent(e: Record<string, unknown>): AgentEvent[] {
    this.sessionId = str(e["session_id"]) ?? this.sessionId;
    switch (e["type"]) {
      case "system":
        return this.onSystem(e);
      case "assistant":
        return this.onAssistant(e);
      case "user":
        return this.onUser(e);
      case "result":
        return this.onResult(e);
      case "rate_limit_event": {
        // Subscribers get one after every call ("allowed"); a rejected one with a reset is the limit.
        const info = isRecord(e["rate_limit_info"]) ? e["rate_limit_info"] : {};
        const resetsAt = num(info["resetsAt"]);
        if (info["status"] === "rejected" && resetsAt !== undefined) this.limitResetsAt = new Date(resetsAt * 1000);
        return [];
      }
      default:
        // stream_event (partial messages), control responses, future kinds: nothing to normalize.
        return [];
    }
  }

  private onSystem(e: Record<string, unknown>): AgentEvent[] {
    switch (e["subtype"]) {
      case "init":
        this.model = str(e["model"]) ?? this.model;
        return [];
      case "api_retry": {
        const status = num(e["error_status"]);
        const error = str(e["error"]);
        const reason = [status === undefined ? undefined : `HTTP ${status}`, error].filter(Boolean).join(": ") || "API error";
        if (status === 429) this.rateLimitDelayMs = num(e["retry_delay_ms"]);
        // Claude retries a 401 ten times over about three minutes before it gives up.
        if (status !== undefined && NEVER_RETRYABLE.has(status)) this.fatal ??= refusedForGood(this.cli, status, error);
        return [{ type: "retry", attempt: num(e["attempt"]) ?? 0, delayMs: num(e["retry_delay_ms"]) ?? 0, reason }];
      }
      default:
        return [];
    }
  }

  private onAssistant(e: Record<string, unknown>): AgentEvent[] {
    const message = isRecord(e["message"]) ? e["message"] : {};
    this.model = str(message["model"]) ?? this.model;
    const out: AgentEvent[] = [];
    // API failures come as a synthetic assistant message; it is the CLI speaking, not the model.
    const role = e["is_api_error_message"] === true ? "system" : "assistant";
    const params = isRecord(e["api_error_params"]) && isRecord(e["api_error_params"]["rate_limit_info"]) ? e["api_error_params"]["rate_limit_info"] : {};
    const resetsAt = num(params["resetsAt"]);
    if (e["api_error"] === "usage_limit_reached" && resetsAt !== undefined) this.limitResetsAt = new Date(resetsAt * 1000);
    // The usage of each model call as it happens (output tokens are only the stream's first count;
    // the result's totals correct them), so that a budget can stop a long session between calls.
    const id = str(message["id"]);
    if (role === "assistant" && id !== undefined && isRecord(message["usage"]) && !this.countedMessages.has(id)) {
      this.countedMessages.add(id);
      const u = message["usage"];
      this.running = {
        inputTokens: this.running.inputTokens + (num(u["input_tokens"]) ?? 0),
        outputTokens: this.running.outputTokens + (num(u["output_tokens"]) ?? 0),
        cachedInputTokens: this.running.cachedInputTokens + (num(u["cache_read_input_tokens"]) ?? 0),
      };
      // Until a result brings the totals (it never comes when the run is stopped), this is the usage.
      this.usage = { ...this.running };
      out.push({ type: "usage", usage: { ...this.running } });
    }
    for (const block of arr(message["content"])) {
      if (!isRecord(block)) continue;
      if (block["type"] === "text" && role === "system") {
        out.push({ type: "message", role, text: str(block["text"]) ?? "" });
      } else if (block["type"] === "text") {
        const text = str(block["text"]) ?? "";
        if (text.trim() === "") continue;
        this.lastAssistantText = text;
        out.push({ type: "message", role: "assistant", text });
      } else if (block["type"] === "tool_use") {
        const id = str(block["id"]) ?? "";
        const name = str(block["name"]) ?? "unknown";
        const input = block["input"];
        const field = this.fileTools[name];
        const file = field && isRecord(input) ? str(input[field]) : undefined;
        if (file) this.pendingFiles.set(id, file);
        out.push({ type: "tool_call", id, name, input });
      }
    }
    return out;
  }

  private onUser(e: Record<string, unknown>): AgentEvent[] {
    const message = isRecord(e["message"]) ? e["message"] : {};
    const out: AgentEvent[] = [];
    for (const block of arr(message["content"])) {
      if (!isRecord(block) || block["type"] !== "tool_result") continue;
      const id = str(block["tool_use_id"]) ?? "";
      const ok = block["is_error"] !== true;
      out.push({ type: "tool_result", id, ok, output: textOf(block["content"]) });
      const file = this.pendingFiles.get(id);
      this.pendingFiles.delete(id);
      if (ok && file) {
        // Claude's Write reports {type: "create" | "update"} in tool_use_result.
        const detail = isRecord(e["tool_use_result"]) ? str(e["tool_use_result"]["type"]) : undefined;
        out.push({ type: "file_change", path: this.recordFile(file), kind: detail === "create" ? "add" : "modify" });
      }
    }
    return out;
  }

  private onResult(e: Record<string, unknown>): AgentEvent[] {
    const usage = isRecord(e["usage"]) ? e["usage"] : {};
    this.usage = {
      inputTokens: num(usage["input_tokens"]) ?? 0,
      outputTokens: num(usage["output_tokens"]) ?? 0,
      cachedInputTokens: (num(usage["cache_read_input_tokens"]) ?? 0) + (num(usage["cached_input_tokens"]) ?? 0),
    };
    this.costUsd = num(e["total_cost_usd"]);
    const result = str(e["result"]);
    if (result !== undefined && result.trim() !== "" && e["is_error"] !== true) this.lastAssistantText = result;
    this.verdict = claudeVerdict(this.cli, e, result, this.rateLimitDelayMs, this.brokered, this.limitResetsAt);
    return [{ type: "usage", usage: { ...this.usage }, ...(this.costUsd === undefined ? {} : { costUsd: this.costUsd }) }];
  }
}

/**
 * The rules, from observed runs: `subtype` alone is not to be trusted (API errors come as
 * subtype "success" with is_error true); permission denials end a "successful" run that did not
 * do its work; the HTTP status of a failed API call decides rate-limited vs retryable vs not.
 */
function claudeVerdict(cli: string, e: Record<string, unknown>, result: string | undefined, rateLimitDelayMs: number | undefined, brokered: boolean, limitResetsAt: Date | null): Verdict {
  const subtype = str(e["subtype"]) ?? "";
  const denials = arr(e["permission_denials"]);
  const status = num(e["api_error_status"]);
  // Claude lists `errors`; Qwen puts one `error: {message}` on the result.
  const errors = [...arr(e["errors"]).map(textOf), isRecord(e["error"]) ? (str(e["error"]["message"]) ?? "") : (str(e["error"]) ?? "")].filter((s) => s !== "");
  const message = [result, ...errors].filter((s): s is string => !!s && s.trim() !== "").join("; ");
  if (e["is_error"] !== true && subtype === "success") {
    if (denials.length === 0) return { status: "succeeded", retryable: false };
    const tools = denials.map((d) => (isRecord(d) ? (str(d["tool_name"]) ?? "a tool") : "a tool"));
    // What was denied, as a person reads it: the command of a Bash call, the file of an edit.
    const what = denials.map((d) => {
      const input = isRecord(d) && isRecord(d["tool_input"]) ? d["tool_input"] : {};
      const detail = str(input["command"]) ?? str(input["file_path"]) ?? str(input["url"]);
      return detail ? `${isRecord(d) ? (str(d["tool_name"]) ?? "a tool") : "a tool"}: ${detail.slice(0, 200)}` : null;
    }).filter((x): x is string => x !== null);
    // Brokered, each denial was policy or a person's answer and the agent was told: its result and
    // the verification judge the run, and the denials are said with it.
    if (brokered) return { status: "succeeded", retryable: false, error: `denied by policy: ${[...new Set(tools)].join(", ")} (${denials.length} request(s))` };
    return { status: "needs_input", error: `permission denied for ${(what.length === denials.length ? [...new Set(what)] : [...new Set(tools)]).join("; ")}; rerun with permission to use it`, retryable: false };
  }
  if (subtype === "error_max_turns") return { status: "failed", error: `stopped at the turn limit${message ? `: ${message}` : ""}`, retryable: false };
  const error = message || `${cli} ended with ${subtype || "an error"}`;
  // A subscription's usage limit (claude: api_error, only for subscription and gateway logins; an
  // API key's limits are plain 429s). Qwen says it only in words: "Quota exhausted: … will reset at …".
  if (e["api_error"] === "usage_limit_reached") return usageLimitVerdict(error, limitResetsAt);
  if (cli === "qwen" && /^Quota exhausted: /.test(error)) {
    const at = /reset at (\S+?)\.?(?:\s|$)/i.exec(error)?.[1];
    const after = /reset (?:after|in) ([^.]+)/i.exec(error)?.[1];
    const ms = after !== undefined ? durationInText(after) : undefined;
    return usageLimitVerdict(error, at !== undefined ? new Date(at) : ms !== undefined ? new Date(Date.now() + ms) : null);
  }
  if (status !== undefined) return verdictForHttpStatus(status, error, rateLimitDelayMs ?? retryAfterInMessage(error));
  const inMessage = statusInMessage(error);
  if (inMessage !== undefined) return verdictForHttpStatus(inMessage, error, retryAfterInMessage(error));
  return { status: "failed", error, retryable: /connection|timed? ?out|ECONNREFUSED|ECONNRESET|overloaded|network/i.test(error) };
}

export function createClaudeParser(options: ParserOptions = {}): ProtocolParser {
  return new ClaudeStreamParser(options);
}
