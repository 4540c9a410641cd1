// How a normalized agent event is kept in the execution log: long texts are cut, so one chatty
// tool result cannot bloat the log (the transcript keeps the whole output).

import type { AgentEvent } from "../../domain/outcome.ts";

export const MAX_EVENT_TEXT = 4000;

export function eventData(ev: Exclude<AgentEvent, { type: "finished" }>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ev };
  for (const key of ["text", "output"] as const) {
    const v = out[key];
    if (typeof v === "string" && v.length > MAX_EVENT_TEXT) out[key] = `${v.slice(0, MAX_EVENT_TEXT)}… (${v.length} chars)`;
  }
  return out;
}
