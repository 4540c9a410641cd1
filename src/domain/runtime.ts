// The runtime contract: how any agent (a shell command or an agent CLI) is run under supervision.

import type { AgentEvent } from "./outcome.ts";

export const RUNTIME_NAMES = ["command", "claude", "codex", "gemini", "opencode", "qwen"] as const;

export function isRuntimeName(name: string): name is (typeof RUNTIME_NAMES)[number] {
  return (RUNTIME_NAMES as readonly string[]).includes(name);
}
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

export interface RunLimits {
  /** Wall-clock limit for the whole attempt. */
  timeoutMs: number;
  /** Limit on time without any output; undefined = none. */
  idleTimeoutMs?: number;
  /** Transcript cap: bytes of output kept; the rest is counted and dropped. */
  maxOutputBytes: number;
  /** Grace between SIGINT → SIGTERM → SIGKILL. */
  killGraceMs: number;
}

import type { PermissionBroker } from "./permissions.ts";

export interface RunRequest {
  /** Identifies the attempt; also exported to every descendant so none can escape reaping. */
  attemptId: string;
  prompt: string;
  /** The agent's own prompt (its definition's body). */
  systemPrompt?: string;
  cwd: string;
  model?: string;
  /** The agent's `tools` (Claude Code's names): the only tools it may use; [] = none. Agent CLIs that can, apply it. */
  tools?: string[];
  /** The agent's `disallowedTools`. */
  disallowedTools?: string[];
  /** The agent's `maxTurns`; overrides `runtimes.<name>.max_turns`. */
  maxTurns?: number;
  /** The agent's front matter `command`, for the command runtime. */
  command?: string;
  /** Extra variables for the agent (VIABLE_TASK_ID, ...). Added on top of the scrubbed environment. */
  env: Record<string, string>;
  signal: AbortSignal;
  limits: RunLimits;
  /** Where the raw output goes (capped). */
  transcriptPath: string;
  /** Continue this agent session when the CLI supports it. */
  resumeSessionId?: string;
  /** Called once the process exists, before any output: the engine records the pgid for reaping. */
  onSpawn?: (pid: number) => void;
  /**
   * The project's permission rules and the broker for what they leave to a person (`permissions`
   * in config). Without it an agent runs with the CLI's prompts bypassed (`auto_approve`).
   */
  permissions?: PermissionBroker;
}

export interface Runtime {
  readonly name: RuntimeName;
  /** Runs one attempt. The stream always ends with a `finished` event carrying the outcome. */
  run(request: RunRequest): AsyncIterable<AgentEvent>;
  /** Ends whatever the runtime keeps between attempts (a warm pool); the process is about to exit. */
  close?(): Promise<void>;
}
