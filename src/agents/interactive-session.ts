// An agent's session opened for a person (`viable attach`): the CLI's own interactive mode resuming
// the session the headless attempt left (`claude --resume <id>`, `codex resume <id>`, ...), in the
// environment Viable gives that CLI, with the same model. A command agent has no session to resume:
// the person gets their shell in the worktree.

import type { ViableConfig } from "../config/config.ts";
import type { RuntimeName } from "../domain/runtime.ts";
import { resolveCliBinary } from "./cli-binary.ts";
import { CLI_PROTOCOLS, type CliRuntimeName } from "./cli-protocols.ts";
import { cliInheritedEnv } from "./runtimes/cli-runtime.ts";

export interface InteractiveCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Whether it continues the agent's own conversation (false: a fresh session, or a shell). */
  resumes: boolean;
}

/** Each CLI's interactive resume (its TUI, not the headless `-p`/`exec` form). */
const RESUME_ARGS: Readonly<Record<CliRuntimeName, (session: string) => string[]>> = {
  claude: (s) => ["--resume", s],
  codex: (s) => ["resume", s],
  gemini: (s) => ["--resume", s],
  qwen: (s) => ["--resume", s],
  opencode: (s) => ["--session", s],
};

const MODEL_ARGS: Readonly<Record<CliRuntimeName, (model: string) => string[]>> = {
  claude: (m) => ["--model", m],
  codex: (m) => ["-m", m],
  gemini: (m) => ["-m", m],
  qwen: (m) => ["-m", m],
  opencode: (m) => ["-m", m],
};

/** Variables the person's TUI needs, which the headless agents never get (tmux sets TERM itself). */
const TERMINAL_ENV = ["COLORTERM", "LANG", "LC_ALL", "LC_CTYPE", "SHELL", "USER", "LOGNAME"];

/** The command a person types to resume a session themselves. */
export function resumeHint(runtime: RuntimeName, session: string): string {
  return runtime === "command" ? "(a command agent has no session)" : [CLI_PROTOCOLS[runtime].command, ...RESUME_ARGS[runtime](session)].join(" ");
}

export function interactiveSession(config: ViableConfig, runtime: RuntimeName, o: { session: string | null; model: string | null; cwd: string }): InteractiveCommand | null {
  const terminal = Object.fromEntries(TERMINAL_ENV.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])));
  if (runtime === "command") {
    const { TERM: _term, ...own } = process.env as Record<string, string>;
    return { file: process.env.SHELL || "/bin/sh", args: [], env: own, resumes: false };
  }
  const protocol = CLI_PROTOCOLS[runtime];
  const settings: Partial<NonNullable<ViableConfig["runtimes"][CliRuntimeName]>> = config.runtimes[runtime] ?? {};
  const file = resolveCliBinary(protocol, settings.bin);
  if (!file) return null;
  const isRoot = process.getuid?.() === 0;
  // NO_COLOR suits a log, not a person's screen.
  const { NO_COLOR: _noColor, ...fixed } = protocol.env({ autoApprove: false, isRoot });
  const model = o.model ?? settings.model ?? null;
  // The pane is a tmux terminal: its own TERM stays (the outer terminal's would mislead the TUI).
  const { TERM: _term, ...inherited } = cliInheritedEnv(protocol, settings, o.cwd);
  return {
    file,
    args: [...(o.session ? RESUME_ARGS[runtime](o.session) : []), ...(model ? MODEL_ARGS[runtime](model) : [])],
    env: { ...inherited, ...fixed, ...terminal },
    resumes: o.session !== null,
  };
}
