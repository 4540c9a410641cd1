// Installs the pinned agent CLIs into the cache (default .cache/agent-clis, or
// $VIABLE_AGENT_CLI_CACHE) and prints a JSON map name → {pkg, version, bin, dir, installMs}.
// Usage: node scripts/install-agent-clis.ts [claude codex gemini opencode qwen]
// The logic lives in test/support/agent-clis/install.ts, which the end-to-end tests call too.

import { AGENT_CLI_NAMES, installAgentClis, type AgentCliName } from "../test/support/agent-clis/install.ts";

export { AGENT_CLI_PINS, agentCliCacheDir, installAgentCli, installAgentClis } from "../test/support/agent-clis/install.ts";
export type { AgentCliName, InstalledAgentCli, InstallOptions } from "../test/support/agent-clis/install.ts";

function isCliName(s: string): s is AgentCliName {
  return (AGENT_CLI_NAMES as readonly string[]).includes(s);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !isCliName(a));
  if (unknown.length > 0) {
    process.stderr.write(`unknown CLI name(s): ${unknown.join(", ")}; expected some of ${AGENT_CLI_NAMES.join(", ")}\n`);
    process.exit(2);
  }
  const installed = await installAgentClis({
    only: args.length > 0 ? args.filter(isCliName) : AGENT_CLI_NAMES,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(installed, null, 2)}\n`);
}
