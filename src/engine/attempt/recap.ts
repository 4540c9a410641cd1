// What a failed attempt did, for the runtime that takes the work over: built from the attempt's
// own stream (the normalized events every runtime emits, so it reads the same whichever CLI ran),
// plus the files changed and the diff left in the workspace. Capped, so a long session cannot
// crowd the task out of the next agent's prompt.

import type { AgentEvent, AttemptOutcome } from "../../domain/outcome.ts";

/** The recap's size at most, in characters (the diff gets what the rest leaves). */
export const RECAP_MAX_CHARS = 12_000;
const MESSAGE_CHARS = 600;
const KEPT_MESSAGES = 8;
const KEPT_ACTIONS = 40;
const LAST_SAID_CHARS = 20_000;

/** The agent's words and actions during one attempt, as they streamed. */
export class AttemptActivity {
  readonly said: string[] = [];
  readonly did: string[] = [];
  /** The agent's last words in full (capped): where an answer asked for in words is. */
  lastSaid = "";
  #droppedActions = 0;

  add(ev: AgentEvent): void {
    if (ev.type === "message" && ev.role === "assistant" && ev.text.trim() !== "") {
      this.lastSaid = ev.text.slice(0, LAST_SAID_CHARS);
      this.said.push(cut(ev.text.trim(), MESSAGE_CHARS));
      if (this.said.length > KEPT_MESSAGES) this.said.shift();
    } else if (ev.type === "tool_call") {
      if (this.did.length < KEPT_ACTIONS) this.did.push(`${ev.name} ${cut(brief(ev.input), 160)}`);
      else this.#droppedActions++;
    } else if (ev.type === "tool_result" && !ev.ok && this.did.length > 0 && this.did.length <= KEPT_ACTIONS) {
      this.did[this.did.length - 1] += ` → failed: ${cut(ev.output.trim(), 120)}`;
    }
  }

  get droppedActions(): number {
    return this.#droppedActions;
  }
}

export interface RecapInput {
  runtime: string;
  outcome: AttemptOutcome;
  activity: AttemptActivity | undefined;
  files: readonly string[];
  diff: string;
}

/** The text the next runtime is given after the task: who stopped, why, and what is done so far. */
export function recapText(r: RecapInput, maxChars = RECAP_MAX_CHARS): string {
  const why = r.outcome.failure?.kind === "usage_limit" ? "reached its provider's usage limit" : `did not finish (${r.outcome.status})`;
  const lines = [
    "",
    "",
    `A previous attempt with ${r.runtime} ${why}: ${r.outcome.error ?? r.outcome.summary}`,
    "Go on from where it stopped; its work is still in the workspace. Check it before you build on it.",
  ];
  if (r.activity && r.activity.said.length > 0) lines.push("What it said:", ...r.activity.said.map((s) => `- ${s}`));
  if (r.activity && r.activity.did.length > 0) {
    lines.push("What it did (tool calls):", ...r.activity.did.map((d) => `- ${d}`));
    if (r.activity.droppedActions > 0) lines.push(`- … and ${r.activity.droppedActions} more`);
  }
  if (r.files.length > 0) lines.push(`Files it changed (still in the workspace): ${r.files.slice(0, 50).join(", ")}${r.files.length > 50 ? ` and ${r.files.length - 50} more` : ""}`);
  let text = lines.join("\n");
  if (text.length > maxChars) text = `${text.slice(0, maxChars - 40)}\n… (recap cut)`;
  const room = maxChars - text.length - 40;
  if (r.diff.trim() !== "" && room > 200) {
    const diff = r.diff.length > room ? `${r.diff.slice(0, room)}\n… (diff cut: ${r.diff.length} chars in all)` : r.diff;
    text += `\nThe diff so far:\n${diff.trimEnd()}`;
  }
  return text;
}

function brief(input: unknown): string {
  if (typeof input === "string") return input;
  if (input === null || input === undefined) return "";
  if (typeof input !== "object") return JSON.stringify(input);
  const o = input as Record<string, unknown>;
  // The field that says what the call was about, in the names the CLIs' tools use.
  for (const key of ["command", "cmd", "file_path", "filePath", "path", "pattern", "url", "query"]) {
    const v = o[key];
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.map(String).join(" ");
  }
  return JSON.stringify(input);
}

function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
