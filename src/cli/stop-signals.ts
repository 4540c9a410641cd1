// The signals that stop a running command: Ctrl-C, SIGTERM and SIGHUP interrupt it; SIGUSR2 is how
// `viable stop` (the kill switch) reaches the process holding the project.

import { KILL_SIGNAL } from "../app/control.ts";

export type StopKind = "interrupted" | "kill_switch";

/** Calls `onStop` for each stop signal until the returned function is called. */
export function onStopSignals(onStop: (kind: StopKind, message: string) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (signal === KILL_SIGNAL) onStop("kill_switch", "stopped by the kill switch (`viable stop`)");
    else onStop("interrupted", `interrupted by ${signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal}`);
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", KILL_SIGNAL];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
