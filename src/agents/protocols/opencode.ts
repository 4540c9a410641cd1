// OpenCode (`opencode run --format json`): argv, environment, stream parser.

import type { AgentEvent } from "../../domain/outcome.ts";
import {
  combinedPrompt,
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

export const OPENCODE_FIXED_ENV: Readonly<Record<string, string>> = {
  OPENCODE_DISABLE_AUTOUPDATE: "true",
  OPENCODE_DISABLE_SHARE: "true",
  // models.dev is fetched for the model catalogue unless this is set.
  OPENCODE_DISABLE_MODELS_FETCH: "true",
  OPENCODE_DISABLE_LSP_DOWNLOAD: "true",
  OPENCODE_DISABLE_DEFAULT_PLUGINS: "true",
  OPENCODE_DISABLE_CLAUDE_CODE: "true",
  OPENCODE_DISABLE_EXTERNAL_SKILLS: "true",
};

export const OPENCODE_PASSTHROUGH_ENV: readonly string[] = [
  "OPENCODE_CONFIG",
  "OPENCODE_CONFIG_DIR",
  "OPENCODE_CONFIG_CONTENT",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_STATE_HOME",
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "OPENROUTER_API_KEY",
  // The keys of the providers people use most with OpenCode; any other: runtimes.opencode.pass_env,
  // or an `{env:NAME}` in opencode.json (read by configured-env.ts).
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "GROQ_API_KEY",
  "DEEPSEEK_API_KEY",
  "XAI_API_KEY",
  "MISTRAL_API_KEY",
  "TOGETHER_AI_API_KEY",
  "FIREWORKS_API_KEY",
  "CEREBRAS_API_KEY",
  "OPENCODE_API_KEY",
];

/** The model is "provider/model" as configured in opencode.json. */
export function opencodeArgs(o: AgentInvocationOptions): string[] {
  const args = ["run", "--format", "json"];
  if (o.model) args.push("-m", o.model);
  if (o.resumeSessionId) args.push("--session", o.resumeSessionId);
  if (o.autoApprove) args.push("--auto");
  args.push("--", combinedPrompt(o));
  return args;
}

const OPENCODE_FILE_TOOLS: Readonly<Record<string, string>> = { write: "filePath", edit: "filePath" };

/**
 * `opencode run --format json`: step_start, text{part.text}, tool_use{part.tool, part.callID,
 * part.state{status,input,output,error}}, step_finish{part.reason, part.tokens, part.cost},
 * error{error{name, data{message, statusCode, isRetryable}}}. There is no final result line:
 * a run succeeded when its last step finished with reason "stop" and no error came.
 */
export class OpencodeParser extends ParserBase {
  private lastStepReason: string | undefined;
  private sawError = false;

  protected onEvent(e: Record<string, unknown>): AgentEvent[] {
    this.sessionId = str(e["sessionID"]) ?? this.sessionId;
    const part = isRecord(e["part"]) ? e["part"] : {};
    switch (e["type"]) {
      case "text": {
        const text = str(part["text"]) ?? "";
        if (text.trim() === "") return [];
        this.lastAssistantText = text;
        return [{ type: "message", role: "assistant", text }];
      }
      case "tool_use": {
        const state = isRecord(part["state"]) ? part["state"] : {};
        const id = str(part["callID"]) ?? str(part["id"]) ?? "";
        const name = str(part["tool"]) ?? "unknown";
        const out: AgentEvent[] = [{ type: "tool_call", id, name, input: state["input"] }];
        const status = str(state["status"]);
        if (status === "completed" || status === "error") {
          const ok = status === "completed";
          out.push({ type: "tool_result", id, ok, output: ok ? textOf(state["output"]) : textOf(state["error"]) });
          const field = OPENCODE_FILE_TOOLS[name];
          const input = state["input"];
          const file = field && isRecord(input) ? str(input[field]) : undefined;
          if (ok && file) out.push({ type: "file_change", path: this.recordFile(file), kind: name === "edit" ? "modify" : "unknown" });
        }
        return out;
      }
      case "step_finish": {
        this.lastStepReason = str(part["reason"]);
        const tokens = isRecord(part["tokens"]) ? part["tokens"] : {};
        const cache = isRecord(tokens["cache"]) ? tokens["cache"] : {};
        this.usage = {
          inputTokens: this.usage.inputTokens + (num(tokens["input"]) ?? 0),
          outputTokens: this.usage.outputTokens + (num(tokens["output"]) ?? 0),
          cachedInputTokens: this.usage.cachedInputTokens + (num(cache["read"]) ?? 0),
        };
        return [{ type: "usage", usage: { ...this.usage } }];
      }
      case "error": {
        this.sawError = true;
        const error = isRecord(e["error"]) ? e["error"] : {};
        const data = isRecord(error["data"]) ? error["data"] : {};
        const message = str(data["message"]) ?? str(error["message"]) ?? str(error["name"]) ?? "opencode reported an error";
        this.verdict = usageLimitOf(message, data["responseHeaders"], str(data["responseBody"])) ?? opencodeVerdict(message, num(data["statusCode"]), data["isRetryable"] === true, data["responseHeaders"]);
        return [{ type: "message", role: "system", text: message }];
      }
      default:
        return [];
    }
  }

  protected override implicitVerdict(exit: ExitFacts): Verdict | undefined {
    if (!this.sawError && this.lastStepReason === "stop" && exit.exitCode === 0) return { status: "succeeded", retryable: false };
    return undefined;
  }
}

/**
 * OpenCode passes the provider's own response through, so its usage limits read as the provider
 * writes them: Anthropic's unified limiter headers, OpenAI's `usage_limit_reached` with `resets_at`.
 */
function usageLimitOf(message: string, headers: unknown, body: string | undefined): Verdict | undefined {
  const h = isRecord(headers) ? headers : {};
  if (str(h["anthropic-ratelimit-unified-status"]) === "rejected" && str(h["anthropic-ratelimit-unified-reset"]) !== undefined) {
    return usageLimitVerdict(message, new Date(Number(h["anthropic-ratelimit-unified-reset"]) * 1000));
  }
  let parsed: unknown;
  try {
    parsed = body === undefined ? undefined : JSON.parse(body);
  } catch {
    return undefined;
  }
  const error = isRecord(parsed) && isRecord(parsed["error"]) ? parsed["error"] : undefined;
  if (error?.["type"] !== "usage_limit_reached") return undefined;
  const resetsAt = num(error["resets_at"]);
  return usageLimitVerdict(message, resetsAt !== undefined ? new Date(resetsAt * 1000) : null);
}

function opencodeVerdict(message: string, statusCode: number | undefined, isRetryable: boolean, headers: unknown): Verdict {
  const status = statusCode ?? statusInMessage(message);
  const header = isRecord(headers) ? (str(headers["retry-after-ms"]) ?? str(headers["retry-after"])) : undefined;
  const retryAfterMs =
    header === undefined ? retryAfterInMessage(message)
    : isRecord(headers) && headers["retry-after-ms"] !== undefined ? Number(header)
    : Number(header) * 1000;
  if (status !== undefined) return verdictForHttpStatus(status, message, Number.isFinite(retryAfterMs) ? retryAfterMs : undefined);
  return { status: "failed", error: message, retryable: isRetryable };
}

export function createOpencodeParser(options: ParserOptions = {}): ProtocolParser {
  return new OpencodeParser(options);
}
