// What a command says when it found (and cleaned up) the remains of a Viable that was killed.

import type { Output } from "./output.ts";

export function reportReconciliation(r: { interruptedTasks: string[]; reaped: unknown[] } | null, o: Output): void {
  if (!r) return;
  for (const t of r.interruptedTasks) o.err(`viable: task ${t} was interrupted (Viable stopped while running it); recorded as failed`);
  if (r.reaped.length > 0) o.err(`viable: stopped ${r.reaped.length} leftover agent process(es) from the interrupted run`);
}
