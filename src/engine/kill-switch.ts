// The kill switch: `viable stop` engages it, ends every running attempt of the project, and new
// attempts are refused until `viable resume`. It lives in the store so every process sees it.
// The running Viable is told by SIGUSR2 so it can record the cancellation itself; if it does not
// react (hung or gone), stop reaps the attempts' processes directly.

import { UserError } from "../domain/errors.ts";
import type { Store } from "../store/store.ts";

export const KILL_SIGNAL = "SIGUSR2";

/** `source` says where it was engaged from: "cli", "dashboard", ... */
export async function engageKillSwitch(store: Store, reason: string, source = "cli"): Promise<void> {
  await store.journal.commit({
    event: { event_type: "kill_switch", data: { engaged: true, reason, source } },
    changes: [{ type: "kill_switch_set", value: { engaged: true, since: store.timestamp(), by_pid: process.pid, reason, source } }],
  });
}

/** Releases it; false when it was not engaged. */
export async function releaseKillSwitch(store: Store, source = "cli"): Promise<boolean> {
  const was = await store.queries.killSwitch();
  if (!was) return false;
  await store.journal.commit({
    event: { event_type: "kill_switch", data: { engaged: false, source } },
    changes: [{ type: "kill_switch_set", value: { engaged: false, since: store.timestamp(), by_pid: process.pid, reason: "resumed", source } }],
  });
  return true;
}

export async function assertNotStopped(store: Store): Promise<void> {
  const k = await store.queries.killSwitch();
  if (k) {
    throw new UserError({
      reason: "kill_switch",
      message: `the kill switch is engaged (since ${k.since}: ${k.reason}); no new attempts are started`,
      fix: "run `viable resume` to allow work again",
    });
  }
}
