// An agent is a named role: built in, or a Markdown file with YAML front matter that people edit.

import type { Candidate } from "./candidates.ts";
import type { RuntimeName } from "./runtime.ts";

export type AgentKind = "generalist" | "functional" | "domain" | "custom";
export type AgentSource = "builtin" | ".claude/agents" | ".viable/agents";

export interface AgentDefinition {
  name: string;
  description: string;
  runtime: RuntimeName;
  /** The model to ask the runtime for; undefined = the runtime's configured default (`model: inherit`). */
  model?: string;
  /** Claude Code's `tools`: the only tools the agent may use. Undefined = all; [] = none. */
  tools?: string[];
  /** Claude Code's `disallowedTools`: tools the agent may not use. */
  disallowedTools?: string[];
  /** Claude Code's `maxTurns`: the most agentic turns one run may take. */
  maxTurns?: number;
  /** Wall-clock limit in seconds. */
  timeout?: number;
  /** No-output limit in seconds. */
  idleTimeout?: number;
  /** For the command runtime: the shell command, run with `sh -c`. */
  command?: string;
  /** Other runtimes to try, in order, when this one fails in a retryable way. */
  fallback?: string[];
  /** Runs beside this agent on the same work, never merged, for comparison (engine/loop/shadow.ts). */
  shadow?: Candidate;
  /** The body of the file: the agent's prompt. */
  prompt: string;
  kind: AgentKind;
  capabilities: string[];
  source: AgentSource;
  /** The file it came from; undefined for built-ins. */
  file?: string;
  /** Front matter fields Viable does not use (color, permissionMode, hooks, ...), kept as written. */
  extra?: Record<string, unknown>;
  /** What was odd about the file but did not stop it loading, one line each. */
  warnings?: string[];
}
