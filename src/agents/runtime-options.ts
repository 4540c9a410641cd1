// What an agent's Claude Code fields become on each runtime. Claude Code has them all: `model`
// (`--model`), `tools` (`--tools` for the built-in tools it may use, `--allowedTools` so they need
// no permission), `disallowedTools` (`--disallowedTools`), `maxTurns` (`--max-turns`). Qwen Code has
// a turn limit (`--max-session-turns`). The other CLIs have no per-run equivalent, and a Claude
// model alias means nothing to them: the agent still runs, and a one-line warning says what is
// not applied.

import type { AgentDefinition } from "../domain/agent.ts";
import type { RunRequest } from "../domain/runtime.ts";

/** Claude Code's model aliases (and its model ids): meaningful to claude only. */
export function isClaudeModel(model: string): boolean {
  const m = model.toLowerCase();
  return /^(sonnet|opus|haiku|fable|opusplan|default|best)(\[1m\])?$/.test(m) || m.startsWith("claude-");
}

/** The agent's fields for a `RunRequest`, for the runtime it runs on. */
export function agentRunOptions(agent: AgentDefinition): Pick<RunRequest, "model" | "tools" | "disallowedTools" | "maxTurns"> {
  const out: Pick<RunRequest, "model" | "tools" | "disallowedTools" | "maxTurns"> = {};
  if (agent.model !== undefined && (agent.runtime === "claude" || !isClaudeModel(agent.model))) out.model = agent.model;
  if (agent.tools !== undefined) out.tools = agent.tools;
  if (agent.disallowedTools !== undefined) out.disallowedTools = agent.disallowedTools;
  if (agent.maxTurns !== undefined) out.maxTurns = agent.maxTurns;
  return out;
}

/** One line for each field of the agent its runtime cannot apply. */
export function agentRuntimeWarnings(agent: AgentDefinition): string[] {
  const rt = agent.runtime;
  if (rt === "claude") return [];
  const out: string[] = [];
  if (agent.model !== undefined && isClaudeModel(agent.model)) out.push(`model "${agent.model}" is a Claude Code model; ${rt} runs its configured model instead`);
  const tools = [agent.tools !== undefined ? "tools" : undefined, agent.disallowedTools !== undefined ? "disallowedTools" : undefined].filter((t) => t !== undefined);
  if (tools.length > 0) {
    out.push(rt === "command" ? `${tools.join(" and ")} apply to agent CLIs; the command runtime ignores ${tools.length === 1 ? "it" : "them"}` : `${tools.join(" and ")} name Claude Code's tools; ${rt} has its own and no per-run list, so ${tools.length === 1 ? "it is" : "they are"} not applied`);
  }
  if (agent.maxTurns !== undefined && rt !== "qwen") out.push(rt === "command" ? "maxTurns applies to agent CLIs; the command runtime ignores it" : `${rt} has no per-run turn limit; maxTurns is not applied (timeout still is)`);
  return out;
}
