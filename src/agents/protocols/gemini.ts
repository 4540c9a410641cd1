// Gemini CLI (`gemini -p PROMPT --output-format stream-json`): argv, environment, stream parser.

import type { AgentEvent, AttemptOutcome } from "../../domain/outcome.ts";
import {
  combinedPrompt,
  durationInText,
  isRecord,
  num,
  ParserBase,
  retryAfterInMessage,
  statusInMessage,
  str,
  textOf,
  usageLimitVerdict,
  verdictForHttpStatus,
  type AgentInvocationOptions,
  type ExitFacts,
  type ParserOptions,
  type ProtocolParser,
  type Verdict,
} from "./common.ts";

export const GEMINI_FIXED_ENV: Readonly<Record<string, string>> = {
  // By default gemini relaunches itself as a child process; signals to the parent then do not
  // stop the turn (SIGINT was ignored for 27 s). With this it runs in one process.
  GEMINI_CLI_NO_RELAUNCH: "true",
  // A headless run cannot answer the "trust this folder?" question.
  GEMINI_CLI_TRUST_WORKSPACE: "true",
  GEMINI_TELEMETRY_ENABLED: "false",
};

export const GEMINI_PASSTHROUGH_ENV: readonly string[] = [
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "GOOGLE_GEMINI_BASE_URL",
  "GOOGLE_CLOUD_PROJECT",
  "GOOGLE_CLOUD_LOCATION",
  "GOOGLE_GENAI_USE_VERTEXAI",
  "GOOGLE_APPLICATION_CREDENTIALS",
  // Read by gemini for Vertex, Code Assist and gateway setups.
  "GOOGLE_VERTEX_BASE_URL",
  "GOOGLE_CLOUD_PROJECT_ID",
  "GOOGLE_GENAI_USE_GCA",
  "GOOGLE_CLOUD_ACCESS_TOKEN",
  "GOOGLE_CLOUD_QUOTA_PROJECT",
  "GOOGLE_GENAI_API_VERSION",
  "CODE_ASSIST_ENDPOINT",
  "CODE_ASSIST_API_VERSION",
  "CLOUDSDK_CONFIG",
  "GCLOUD_PROJECT",
  "CLOUD_SHELL",
];

/** Always pass a model: with "auto" gemini first asks a router model, a call of its own. */
export function geminiArgs(o: AgentInvocationOptions): string[] {
  // `--prompt=` keeps a prompt that starts with "-" from being read as a flag.
  const args = [`--prompt=${combinedPrompt(o)}`, "--output-format", "stream-json"];
  if (o.model) args.push("-m", o.model);
  if (o.resumeSessionId) args.push("--resume", o.resumeSessionId);
  args.push("--approval-mode", o.autoApprove ? "yolo" : "default");
  return args;
}

const GEMINI_FILE_TOOLS: Readonly<Record<string, string>> = { write_file: "file_path", replace: "file_path" };

/**
 * `gemini --output-format stream-json`: init{session_id, model}, message{role, content, delta},
 * tool_use{tool_name, tool_id, parameters}, tool_result{tool_id, status, output}, error{severity,
 * message}, result{status, error, stats}. Assistant text arrives as deltas; they are joined into
 * one message, sent when something else happens or the stream ends.
 */
export class GeminiParser extends ParserBase {
  /** Set when gemini names a quota no retry helps (TerminalQuotaError, on stderr only). */
  private terminalQuota: string | undefined;
  private quotaLinesLeft = 0;
  private pendingText = "";
  private readonly pendingFiles = new Map<string, { file: string; tool: string }>();
  private lastError: string | undefined;

  protected onEvent(e: Record<string, unknown>): AgentEvent[] {
    if (e["type"] === "message" && e["role"] === "assistant") {
      const content = str(e["content"]) ?? "";
      if (e["delta"] === true) this.pendingText += content;
      else this.pendingText = content;
      return [];
    }
    const out = this.flushText();
    switch (e["type"]) {
      case "init":
        this.sessionId = str(e["session_id"]) ?? this.sessionId;
        this.model = str(e["model"]) ?? this.model;
        break;
      case "tool_use": {
        const id = str(e["tool_id"]) ?? "";
        const name = str(e["tool_name"]) ?? "unknown";
        const input = e["parameters"];
        const field = GEMINI_FILE_TOOLS[name];
        const file = field && isRecord(input) ? str(input[field]) : undefined;
        if (file) this.pendingFiles.set(id, { file, tool: name });
        out.push({ type: "tool_call", id, name, input });
        break;
      }
      case "tool_result": {
        const id = str(e["tool_id"]) ?? "";
        const ok = e["status"] === "success";
        const error = isRecord(e["error"]) ? str(e["error"]["message"]) : str(e["error"]);
        out.push({ type: "tool_result", id, ok, output: ok ? textOf(e["output"]) : (error ?? textOf(e["output"])) });
        const pending = this.pendingFiles.get(id);
        this.pendingFiles.delete(id);
        if (ok && pending) out.push({ type: "file_change", path: this.recordFile(pending.file), kind: pending.tool === "replace" ? "modify" : "unknown" });
        break;
      }
      case "error": {
        const message = str(e["message"]) ?? "";
        this.lastError = message || this.lastError;
        if (message) out.push({ type: "message", role: "system", text: message });
        break;
      }
      case "result": {
        const stats = isRecord(e["stats"]) ? e["stats"] : {};
        this.usage = {
          inputTokens: num(stats["input_tokens"]) ?? 0,
          outputTokens: num(stats["output_tokens"]) ?? 0,
          cachedInputTokens: num(stats["cached"]) ?? 0,
        };
        if (e["status"] === "success") {
          this.verdict = { status: "succeeded", retryable: false };
        } else {
          const error = isRecord(e["error"]) ? (str(e["error"]["message"]) ?? textOf(e["error"])) : (str(e["error"]) ?? this.lastError ?? "gemini reported an error");
          this.verdict = geminiVerdict(error);
        }
        out.push({ type: "usage", usage: { ...this.usage } });
        break;
      }
      default:
        break;
    }
    return out;
  }

  override end(): AgentEvent[] {
    return this.flushText();
  }

  /**
   * Without a result line, gemini's exit code is the last word: on API errors it exited with the
   * HTTP status modulo 256 (401 → 145, 500 → 244, 429 → 173), not its documented codes.
   */
  /**
   * Gemini names a quota that retrying cannot help (a daily quota, a reset over five minutes away,
   * Code Assist's exhausted capacity) only on stderr: `TerminalQuotaError: <message>`. The reset
   * is in its words, when at all: "Suggested retry after 3600s.", "Your quota will reset after 2h13m47s.".
   */
  override classify(exit: ExitFacts): AttemptOutcome {
    if (this.terminalQuota !== undefined && this.verdict?.status !== "succeeded") {
      const message = this.verdict?.error ?? this.lastError ?? this.terminalQuota;
      const wait = /(?:Suggested retry after|quota will reset after) ([0-9hms.]+)/i.exec(`${message} ${this.terminalQuota}`)?.[1];
      const ms = wait !== undefined ? durationInText(wait) : undefined;
      this.verdict = usageLimitVerdict(message, ms !== undefined ? new Date(Date.now() + ms) : null);
    }
    return super.classify(exit);
  }

  /** The quota error's message on stderr: its line and the two after it (a stack dump follows). */
  override pushStderr(line: string): AgentEvent[] {
    const at = line.indexOf("TerminalQuotaError: ");
    if (at >= 0 && this.terminalQuota === undefined) {
      this.terminalQuota = line.slice(at + "TerminalQuotaError: ".length);
      this.quotaLinesLeft = 2;
    } else if (this.quotaLinesLeft > 0 && this.terminalQuota !== undefined) {
      this.quotaLinesLeft--;
      if (!/^\s+at /.test(line)) this.terminalQuota += `\n${line}`;
    }
    return super.pushStderr(line);
  }

  protected override implicitVerdict(exit: ExitFacts): Verdict | undefined {
    if (exit.exitCode === null || exit.exitCode === 0) return undefined;
    const status = [401, 403, 404, 408, 429, 500, 502, 503, 504].find((s) => (s & 0xff) === exit.exitCode);
    const message = this.lastError ?? this.stderrTail.slice(-3).join(" | ");
    if (status === undefined) return undefined;
    return verdictForHttpStatus(status, message || `gemini exited with ${exit.exitCode} (HTTP ${status})`, retryAfterInMessage(message));
  }

  private flushText(): AgentEvent[] {
    const text = this.pendingText;
    this.pendingText = "";
    if (text.trim() === "") return [];
    this.lastAssistantText = text;
    return [{ type: "message", role: "assistant", text }];
  }
}

function geminiVerdict(message: string): Verdict {
  const status = statusInMessage(message) ?? (/RESOURCE_EXHAUSTED|quota/i.test(message) ? 429 : /UNAUTHENTICATED|API key not valid/i.test(message) ? 401 : undefined);
  if (status !== undefined) return verdictForHttpStatus(status, message, retryAfterInMessage(message));
  return { status: "failed", error: message, retryable: false };
}

export function createGeminiParser(options: ParserOptions = {}): ProtocolParser {
  return new GeminiParser(options);
}
