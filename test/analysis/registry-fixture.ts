// Agent definitions for allocation tests: seed 001's default registry, built here so the tests do not
// depend on the built-in prompts.

import type { AgentDefinition, AgentKind } from "../../src/domain/agent.ts";
import type { Adaptation } from "../../src/domain/viability.ts";

export function agent(name: string, kind: AgentKind, capabilities: string[] = []): AgentDefinition {
  return { name, description: name, runtime: "command", prompt: "", kind, capabilities, source: "builtin" };
}

export const SEED_REGISTRY: readonly AgentDefinition[] = [
  agent("generalist-coder", "generalist", ["coding"]),
  agent("code-writer", "functional", ["implementation"]),
  agent("tester", "functional", ["testing"]),
  agent("reviewer", "functional", ["code review", "quality"]),
  agent("documenter", "functional", ["documentation"]),
  agent("frontend", "domain", ["ui"]),
  agent("backend", "domain", ["api"]),
  agent("database", "domain", ["schema"]),
  agent("infrastructure", "domain", ["ci"]),
];

export function without(...names: string[]): AgentDefinition[] {
  return SEED_REGISTRY.filter((a) => !names.includes(a.name));
}

export function adaptation(type: Adaptation["type"], parameters: Adaptation["parameters"] = {}): Adaptation {
  return { type, trigger: `${type} trigger`, effect: "test", applied_at: "2024-01-15T10:00:00Z", parameters };
}
