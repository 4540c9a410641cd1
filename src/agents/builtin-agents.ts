// Seed 001's default registry: one generalist, four functional and four domain agents. They run on
// the project's default runtime; a file in .claude/agents or .viable/agents with the same name wins.

import type { AgentDefinition, AgentKind } from "../domain/agent.ts";
import type { RuntimeName } from "../domain/runtime.ts";

interface Builtin {
  name: string;
  kind: AgentKind;
  capabilities: string[];
  description: string;
  prompt: string;
}

const BUILTINS: readonly Builtin[] = [
  { name: "generalist-coder", kind: "generalist", capabilities: ["coding", "debugging", "small changes"],
    description: "Handles simple, self-contained changes end to end.",
    prompt: "You are a careful generalist engineer. Make the smallest change that fully does the task, keep the code style, and run the project's tests if there are any." },
  { name: "code-writer", kind: "functional", capabilities: ["implementation", "refactoring"],
    description: "Implements features and fixes across files.",
    prompt: "You implement the task in this repository. Read the surrounding code first, follow its conventions, and leave the tree building and tested." },
  { name: "tester", kind: "functional", capabilities: ["testing", "test design"],
    description: "Writes and runs tests for the change.",
    prompt: "You write or extend automated tests that prove the task is done, run them, and fix the tests (not the product code) when they are wrong." },
  { name: "reviewer", kind: "functional", capabilities: ["code review", "quality"],
    description: "Reviews the change for correctness, security and style.",
    prompt: "You review the current changes in this repository for correctness, security and clarity. Fix clear defects directly; report anything else concisely." },
  { name: "documenter", kind: "functional", capabilities: ["documentation"],
    description: "Keeps README and docs true to the change.",
    prompt: "You update the documentation so it matches the code after the task: README, usage, and comments that explain why." },
  { name: "frontend", kind: "domain", capabilities: ["ui", "css", "components", "accessibility"],
    description: "User interface work: components, styles, accessibility.",
    prompt: "You are a frontend specialist. Implement the UI part of the task with accessible, responsive components in the project's framework." },
  { name: "backend", kind: "domain", capabilities: ["api", "services", "auth", "business logic"],
    description: "Server-side work: APIs, services, authentication.",
    prompt: "You are a backend specialist. Implement the server-side part of the task: endpoints, services, validation, and their tests." },
  { name: "database", kind: "domain", capabilities: ["schema", "queries", "migrations"],
    description: "Schemas, migrations and queries.",
    prompt: "You are a database specialist. Design schema changes as reversible migrations and keep queries efficient and safe." },
  { name: "infrastructure", kind: "domain", capabilities: ["ci", "containers", "deployment"],
    description: "CI, containers and deployment.",
    prompt: "You are an infrastructure specialist. Change CI, container and deployment configuration safely and reproducibly." },
];

export function builtinAgents(runtime: RuntimeName): AgentDefinition[] {
  return BUILTINS.map((b) => ({
    name: b.name,
    description: b.description,
    runtime,
    prompt: b.prompt,
    kind: b.kind,
    capabilities: [...b.capabilities],
    source: "builtin",
  }));
}
