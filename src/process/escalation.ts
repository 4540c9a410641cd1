// Asking a process group to stop, then insisting. Agent CLIs differ in what they honour (see
// notes/agent-clis.md): Claude Code finishes cleanly on SIGINT, Codex dies on SIGTERM, Gemini ignores
// both. So each signal gets one grace period before the next, ending with SIGKILL, which cannot be
// ignored. The signals go to the whole group (negative pid) so that tools the agent is running stop
// too, not just the agent.

import { sendSignal } from "./stop-processes.ts";

export const ESCALATION: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGKILL"];

export interface Escalation {
  /** True once SIGKILL has been sent. */
  readonly forced: boolean;
  /** Stops the remaining steps: the process has exited. */
  cancel(): void;
}

export function escalateGroupKill(pgid: number, graceMs: number): Escalation {
  let forced = false;
  let timer: NodeJS.Timeout | undefined;
  const step = (index: number): void => {
    const signal = ESCALATION[index];
    if (signal === undefined) return;
    if (signal === "SIGKILL") forced = true;
    sendSignal(-pgid, signal);
    // unref: the child process itself keeps the event loop alive for as long as it runs.
    timer = setTimeout(() => step(index + 1), graceMs).unref();
  };
  step(0);
  return {
    get forced() {
      return forced;
    },
    cancel: () => clearTimeout(timer),
  };
}
