// One table of what a runtime needs per agent CLI, so the runtime code in src/agents/ can be one
// loop over it: the argv, the fixed environment, which of the user's variables to pass through,
// and the stream parser. Finding the executable is the installer's business (see
// test/support/agent-clis/install.ts for where each package keeps it).

import type { RuntimeName } from "../../domain/runtime.ts";
import { claudeArgs, claudeEnv, CLAUDE_PASSTHROUGH_ENV, createClaudeParser } from "./claude.ts";
import { codexArgs, CODEX_FIXED_ENV, CODEX_PASSTHROUGH_ENV, createCodexParser } from "./codex.ts";
import type { AgentInvocationOptions, ParserOptions, ProtocolParser } from "./common.ts";
import { createGeminiParser, geminiArgs, GEMINI_FIXED_ENV, GEMINI_PASSTHROUGH_ENV } from "./gemini.ts";
import { createOpencodeParser, opencodeArgs, OPENCODE_FIXED_ENV, OPENCODE_PASSTHROUGH_ENV } from "./opencode.ts";
import { createQwenParser, qwenArgs, QWEN_FIXED_ENV, QWEN_PASSTHROUGH_ENV } from "./qwen.ts";

export type AgentCliRuntime = Exclude<RuntimeName, "command">;

export interface AgentProtocol {
  readonly runtime: AgentCliRuntime;
  readonly args: (o: AgentInvocationOptions) => string[];
  /** Variables every run sets (telemetry off, no relaunch, ...), on top of the scrubbed environment. */
  readonly env: (o: { autoApprove: boolean; isRoot: boolean }) => Record<string, string>;
  /** The user's variables the CLI needs (credentials, endpoints, config homes), passed when set. */
  readonly passthroughEnv: readonly string[];
  readonly createParser: (o?: ParserOptions) => ProtocolParser;
}

export const AGENT_PROTOCOLS: Readonly<Record<AgentCliRuntime, AgentProtocol>> = {
  claude: { runtime: "claude", args: claudeArgs, env: claudeEnv, passthroughEnv: CLAUDE_PASSTHROUGH_ENV, createParser: createClaudeParser },
  codex: { runtime: "codex", args: codexArgs, env: () => ({ ...CODEX_FIXED_ENV }), passthroughEnv: CODEX_PASSTHROUGH_ENV, createParser: createCodexParser },
  gemini: { runtime: "gemini", args: geminiArgs, env: () => ({ ...GEMINI_FIXED_ENV }), passthroughEnv: GEMINI_PASSTHROUGH_ENV, createParser: createGeminiParser },
  opencode: { runtime: "opencode", args: opencodeArgs, env: () => ({ ...OPENCODE_FIXED_ENV }), passthroughEnv: OPENCODE_PASSTHROUGH_ENV, createParser: createOpencodeParser },
  qwen: { runtime: "qwen", args: qwenArgs, env: () => ({ ...QWEN_FIXED_ENV }), passthroughEnv: QWEN_PASSTHROUGH_ENV, createParser: createQwenParser },
};
