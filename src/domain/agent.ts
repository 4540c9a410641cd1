// An agent is a named role: built in, or a Markdown file with YAML front matter that people edit.

import type { RuntimeName } from "./runtime.ts";

export type AgentKind = "generalist" | "functional" | "domain" | "custom";
export type AgentSource = "builtin" | ".claude/agents" | ".viable/agents";

export interface AgentDefinition {
  name: string;
  description: string;
  runtime: RuntimeName;
  model?: string;
  tools?: string[];
  /** Wall-clock limit in seconds. */
  timeout?: number;
  /** No-output limit in seconds. */
  idleTimeout?: number;
  /** For the command runtime: the shell command, run with `sh -c`. */
  command?: string;
  /** Other runtimes to try, in order, when this one fails in a retryable way. */
  fallback?: string[];
  /** The body of the file: the agent's prompt. */
  prompt: string;
  kind: AgentKind;
  capabilities: string[];
  source: AgentSource;
  /** The file it came from; undefined for built-ins. */
  file?: string;
}
