// Maps a provider-neutral tool call onto the tool a CLI actually offered in its request. The names
// and argument schemas were read from the `tools` each real CLI sends (versions pinned in
// test/support/agent-clis/versions.ts):
//   claude    Write{file_path,content}            Bash{command,description}
//   codex     apply_patch (freeform "custom" tool) exec_command{cmd}
//   gemini    write_file{file_path,content}        run_shell_command{command,description}
//   qwen      write_file{file_path,content}        run_shell_command{command,description}
//   opencode  write{filePath,content}              bash{command,description}
// Every file tool demands an absolute path, so relative paths are resolved against the workspace.

import path from "node:path";
import type { NeutralToolCall } from "./script.ts";

export interface ConcreteToolCall {
  name: string;
  /** "custom" is the Responses API's freeform tool (codex's apply_patch): its input is plain text. */
  kind: "function" | "custom";
  input: Record<string, unknown> | string;
}

export class ToolMappingError extends Error {
  override name = "ToolMappingError";
}

export function concreteToolCall(call: NeutralToolCall, offered: readonly string[], cwd: string | undefined): ConcreteToolCall {
  const has = (name: string): boolean => offered.includes(name);
  switch (call.tool) {
    case "raw":
      return { name: call.name, kind: "function", input: call.input };
    case "write_file": {
      const file = absolute(call.args.path, cwd);
      const { content } = call.args;
      if (has("Write")) return { name: "Write", kind: "function", input: { file_path: file, content } };
      if (has("write_file")) return { name: "write_file", kind: "function", input: { file_path: file, content } };
      if (has("write")) return { name: "write", kind: "function", input: { filePath: file, content } };
      if (has("apply_patch")) return { name: "apply_patch", kind: "custom", input: addFilePatch(file, content) };
      if (has("exec_command")) return { name: "exec_command", kind: "function", input: { cmd: heredocWrite(file, content) } };
      break;
    }
    case "shell": {
      const { command } = call.args;
      const description = "Run a scripted command";
      if (has("Bash")) return { name: "Bash", kind: "function", input: { command, description } };
      if (has("run_shell_command")) return { name: "run_shell_command", kind: "function", input: { command, description } };
      if (has("bash")) return { name: "bash", kind: "function", input: { command, description } };
      if (has("exec_command")) return { name: "exec_command", kind: "function", input: { cmd: command } };
      break;
    }
  }
  throw new ToolMappingError(`no tool for ${call.tool} among the tools the CLI offered: ${offered.join(", ") || "(none)"}`);
}

function absolute(file: string, cwd: string | undefined): string {
  if (path.isAbsolute(file)) return file;
  if (cwd === undefined) throw new ToolMappingError(`relative path ${file} needs the server's cwd option`);
  return path.join(cwd, file);
}

/** The apply_patch grammar codex declares: every added line starts with "+". */
function addFilePatch(file: string, content: string): string {
  const lines = content.endsWith("\n") ? content.slice(0, -1).split("\n") : content.split("\n");
  return `*** Begin Patch\n*** Add File: ${file}\n${lines.map((l) => `+${l}`).join("\n")}\n*** End Patch\n`;
}

function heredocWrite(file: string, content: string): string {
  const marker = "VIABLE_SCRIPTED_EOF";
  return `cat > '${file.replaceAll("'", "'\\''")}' <<'${marker}'\n${content}${content.endsWith("\n") ? "" : "\n"}${marker}`;
}
