// `viable loop --tmux`: every running agent gets a window in one tmux session, showing its output
// as it comes — the normalized events (messages, tool calls, file changes) for an agent CLI, the
// output itself for a command agent — while the journal stays the record. The first window follows
// the loop. Windows close with their attempts; the session ends with the loop, and one left by a
// killed loop is ended when the next starts. Nobody types into these windows: they only show.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { LogEntry } from "../domain/events.ts";
import { shellQuote, Tmux, tmuxAvailable } from "../process/tmux.ts";
import { attemptTranscriptPath } from "../workspace/paths.ts";
import type { Project } from "./project.ts";

export const MIRROR_SESSION = "viable";

export interface TmuxMirror {
  /** The command that shows it: `tmux -L <socket> attach -t viable`. */
  readonly attach: string;
  /** Feed it the loop's events. */
  onEvent(e: LogEntry): void;
  /** Ends the session. */
  close(): Promise<void>;
}

/** The socket of a project's mirror: one per project, so two projects' loops never meet. */
export function mirrorSocket(root: string): string {
  return `viable-${crypto.createHash("sha256").update(root).digest("hex").slice(0, 10)}`;
}

export async function startTmuxMirror(project: Project): Promise<TmuxMirror> {
  await tmuxAvailable();
  const socket = mirrorSocket(project.paths.root);
  const tmux = new Tmux(socket);
  const dir = path.join(project.paths.stateDir, "tmux");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const loopFile = path.join(dir, "loop.log");
  fs.writeFileSync(loopFile, "");
  await tmux.startSession(MIRROR_SESSION, "loop", `tail -n +1 -F ${shellQuote(loopFile)}`);
  const windows = new Map<string, Promise<string | null>>();
  const files = new Map<string, string>();
  const write = (file: string, line: string) => {
    try {
      fs.appendFileSync(file, `${line}\n`);
    } catch {
      // The mirror only shows; losing a line of it loses nothing recorded.
    }
  };
  return {
    attach: `tmux -L ${socket} attach -t ${MIRROR_SESSION}`,
    onEvent: (e) => {
      const d = e.data;
      const attempt = typeof d.attempt_id === "string" ? d.attempt_id : undefined;
      if (e.event_type === "agent_invoked" && attempt) {
        const item = typeof d.item_id === "string" ? d.item_id : attempt;
        const file = path.join(dir, `${attempt}.log`);
        files.set(attempt, file);
        write(file, `== ${item}: ${e.agent ?? "agent"} (${String(d.runtime)}), attempt ${String(d.attempt)}`);
        // A command agent's output is its transcript; a CLI's is what its events say.
        const source = d.runtime === "command" ? `cat ${shellQuote(file)}; tail -n +1 -F ${shellQuote(attemptTranscriptPath(project.paths, attempt))} 2>/dev/null` : `tail -n +1 -F ${shellQuote(file)}`;
        windows.set(attempt, tmux.newWindow(MIRROR_SESSION, item.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 30), source).catch(() => null));
        write(loopFile, `${e.timestamp.slice(11, 19)} ${item}: ${e.agent ?? "agent"} started`);
        return;
      }
      if (e.event_type === "agent_event" && attempt) {
        const line = renderAgentEvent(d);
        const file = files.get(attempt);
        if (line !== null && file) write(file, line);
        return;
      }
      if ((e.event_type === "agent_completed" || e.event_type === "agent_error") && attempt) {
        const window = windows.get(attempt);
        windows.delete(attempt);
        files.delete(attempt);
        void window?.then((id) => (id ? tmux.killWindow(id) : undefined));
        return;
      }
      // The item's story, not each of its state records.
      if ((e.event_type.startsWith("item_") && e.event_type !== "item_status") || e.event_type === "loop_finished") {
        write(loopFile, `${e.timestamp.slice(11, 19)} ${e.event_type}${typeof d.item === "string" ? ` ${d.item}` : ""}${typeof d.status === "string" ? ` ${d.status}` : ""}`);
      }
    },
    close: async () => {
      await Promise.allSettled(windows.values());
      // Only the mirror's session: a person's take-over (`viable attach`) on the socket stays.
      await tmux.killSession(MIRROR_SESSION);
    },
  };
}

/** One normalized agent event as a line a person reads; null for what says nothing (usage). */
export function renderAgentEvent(d: Record<string, unknown>): string | null {
  const s = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  switch (d.type) {
    case "started":
      return `started (pid ${s(d.pid)})`;
    case "message":
      return s(d.text);
    case "tool_call":
      return `⚙ ${s(d.name)} ${s(d.input).slice(0, 200)}`;
    case "tool_result":
      return `  ↳ ${d.ok === true ? "ok" : "failed"}: ${s(d.output).split("\n")[0]?.slice(0, 160) ?? ""}`;
    case "file_change":
      return `✎ ${s(d.kind)} ${s(d.path)}`;
    case "retry":
      return `retry ${s(d.attempt)} in ${Math.round(Number(d.delayMs ?? 0) / 1000)}s: ${s(d.reason)}`;
    case "stderr":
      return `! ${s(d.text)}`;
    default:
      return null;
  }
}
