// The kill switch: `viable stop` engages it, ends every running attempt of the project, and new
// attempts are refused until `viable resume`. It lives in the store so every process sees it.
// The running Viable is told by SIGUSR2 so it can record the cancellation itself; if it does not
// react (hung or gone), stop reaps the attempts' processes directly.

import { UserError } from "../domain/errors.ts";
import type { Store } from "../store/store.ts";
import { writeKillSwitch } from "../store/settings.ts";

export const KILL_SIGNAL = "SIGUSR2";

export function engageKillSwitch(store: Store, reason: string): void {
  store.transition({ event_type: "kill_switch", data: { engaged: true, reason } }, () =>
    writeKillSwitch(store.db, { engaged: true, since: store.timestamp(), by_pid: process.pid, reason }));
}

export function releaseKillSwitch(store: Store): boolean {
  const was = store.killSwitch();
  if (!was) return false;
  store.transition({ event_type: "kill_switch", data: { engaged: false } }, () =>
    writeKillSwitch(store.db, { engaged: false, since: store.timestamp(), by_pid: process.pid, reason: "resumed" }));
  return true;
}

export function assertNotStopped(store: Store): void {
  const k = store.killSwitch();
  if (k) {
    throw new UserError({
      reason: "kill_switch",
      message: `the kill switch is engaged (since ${k.since}: ${k.reason}); no new attempts are started`,
      fix: "run `viable resume` to allow work again",
    });
  }
}
