// Qwen Code (`qwen --output-format stream-json`): argv, environment, stream parser. Its stream is
// Claude Code's format (system/assistant/user/result lines), so the parser is shared.

import { ClaudeStreamParser } from "./claude.ts";
import type { AgentInvocationOptions, ParserOptions, ProtocolParser } from "./common.ts";

export const QWEN_FIXED_ENV: Readonly<Record<string, string>> = {
  // The yolo warning goes to stderr on every run; it says nothing the orchestrator does not know.
  QWEN_CODE_SUPPRESS_YOLO_WARNING: "1",
};

export const QWEN_PASSTHROUGH_ENV: readonly (string | RegExp)[] = [
  "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "DASHSCOPE_API_KEY", /^QWEN_/,
  // Qwen's other auth types: anthropic, gemini, vertex-ai.
  "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "GEMINI_API_KEY", "GEMINI_MODEL", "GOOGLE_API_KEY", "GOOGLE_MODEL",
  "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_APPLICATION_CREDENTIALS",
];

export function qwenArgs(o: AgentInvocationOptions): string[] {
  const args = [`--prompt=${o.prompt}`, "--output-format", "stream-json"];
  if (o.model) args.push("-m", o.model);
  if (o.systemPrompt) args.push("--append-system-prompt", o.systemPrompt);
  if (o.resumeSessionId) args.push("--resume", o.resumeSessionId);
  if (o.maxTurns !== undefined) args.push("--max-session-turns", String(o.maxTurns));
  args.push("--approval-mode", o.autoApprove ? "yolo" : "default");
  return args;
}

/** Qwen's file tools take `file_path` like Claude's, under its own tool names. */
const QWEN_FILE_TOOLS: Readonly<Record<string, string>> = { write_file: "file_path", edit: "file_path" };

export function createQwenParser(options: ParserOptions = {}): ProtocolParser {
  return new ClaudeStreamParser({ ...options, cli: "qwen", fileTools: QWEN_FILE_TOOLS });
}
