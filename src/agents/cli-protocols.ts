// The five agent CLIs, each described by what differs: its command name, argv, fixed and
// passed-through environment, and stream parser. Everything else (supervision, outcomes) is shared
// by cli-runtime.ts.

import type { RuntimeName } from "../domain/runtime.ts";
import { CLAUDE_PASSTHROUGH_ENV, claudeArgs, claudeEnv, createClaudeParser } from "./protocols/claude.ts";
import { CODEX_FIXED_ENV, CODEX_PASSTHROUGH_ENV, codexArgs, createCodexParser } from "./protocols/codex.ts";
import type { AgentInvocationOptions, ParserOptions, ProtocolParser } from "./protocols/common.ts";
import { GEMINI_FIXED_ENV, GEMINI_PASSTHROUGH_ENV, createGeminiParser, geminiArgs } from "./protocols/gemini.ts";
import { OPENCODE_FIXED_ENV, OPENCODE_PASSTHROUGH_ENV, createOpencodeParser, opencodeArgs } from "./protocols/opencode.ts";
import { QWEN_FIXED_ENV, QWEN_PASSTHROUGH_ENV, createQwenParser, qwenArgs } from "./protocols/qwen.ts";

export type CliRuntimeName = Exclude<RuntimeName, "command">;

export interface CliProtocol {
  name: CliRuntimeName;
  /** The command looked up on PATH when config does not name a binary. */
  command: string;
  /** The npm package, for `viable doctor`'s install hint. */
  npmPackage: string;
  args: (o: AgentInvocationOptions) => string[];
  /** Variables set on every run (telemetry off, no relaunch, ...). */
  env: (o: { autoApprove: boolean; isRoot: boolean }) => Record<string, string>;
  /** The user's variables the CLI may see: credentials, endpoints, provider choices. */
  passthrough: readonly (string | RegExp)[];
  /**
   * Variables the CLI needs only in a setup the environment selects (Claude on Bedrock needs the
   * AWS credentials; without Bedrock they stay out of the agent's reach).
   */
  selected?: (env: NodeJS.ProcessEnv) => readonly (string | RegExp)[];
  parser: (o: ParserOptions) => ProtocolParser;
  /** Variables whose presence means the CLI can authenticate, for `viable doctor`. */
  authEnv: readonly string[];
}

export const CLI_PROTOCOLS: Readonly<Record<CliRuntimeName, CliProtocol>> = {
  claude: {
    name: "claude", command: "claude", npmPackage: "@anthropic-ai/claude-code",
    // CLAUDE_CODE_*: the CLI's own settings (CLAUDE_CODE_MAX_RETRIES, CLAUDE_CODE_OAUTH_TOKEN, ...).
    args: claudeArgs, env: claudeEnv, passthrough: [...CLAUDE_PASSTHROUGH_ENV, /^ANTHROPIC_/, /^CLAUDE_CODE_/, "IS_SANDBOX"], parser: createClaudeParser,
    selected: (env) => [
      ...(env.CLAUDE_CODE_USE_BEDROCK ? [/^AWS_/] : []),
      ...(env.CLAUDE_CODE_USE_VERTEX ? ["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CONFIG", /^VERTEX_REGION_/] : []),
      ...(env.CLAUDE_CODE_USE_FOUNDRY ? [/^AZURE_/] : []),
    ],
    authEnv: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"],
  },
  codex: {
    name: "codex", command: "codex", npmPackage: "@openai/codex",
    args: codexArgs, env: () => ({ ...CODEX_FIXED_ENV }), passthrough: [...CODEX_PASSTHROUGH_ENV, /^OPENAI_/, /^CODEX_/], parser: createCodexParser,
    authEnv: ["OPENAI_API_KEY", "CODEX_API_KEY"],
  },
  gemini: {
    name: "gemini", command: "gemini", npmPackage: "@google/gemini-cli",
    args: geminiArgs, env: () => ({ ...GEMINI_FIXED_ENV }), passthrough: [...GEMINI_PASSTHROUGH_ENV, /^GEMINI_/], parser: createGeminiParser,
    authEnv: ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS"],
  },
  opencode: {
    name: "opencode", command: "opencode", npmPackage: "opencode-ai",
    args: opencodeArgs, env: () => ({ ...OPENCODE_FIXED_ENV }), passthrough: OPENCODE_PASSTHROUGH_ENV, parser: createOpencodeParser,
    authEnv: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"],
  },
  qwen: {
    name: "qwen", command: "qwen", npmPackage: "@qwen-code/qwen-code",
    args: qwenArgs, env: () => ({ ...QWEN_FIXED_ENV }), passthrough: QWEN_PASSTHROUGH_ENV, parser: createQwenParser,
    authEnv: ["OPENAI_API_KEY", "DASHSCOPE_API_KEY"],
  },
};
