// Which runtime runs an agent. One entry per runtime name; the agent CLIs plug in here.

import { UserError } from "../domain/errors.ts";
import type { Runtime, RuntimeName } from "../domain/runtime.ts";
import { commandRuntime } from "./runtimes/command-runtime.ts";

const RUNTIMES: Partial<Record<RuntimeName, Runtime>> = {
  command: commandRuntime,
};

export function runtimeFor(name: RuntimeName): Runtime {
  const r = RUNTIMES[name];
  if (!r) {
    throw new UserError({
      reason: "unknown_runtime",
      field: "runtime",
      message: `the ${name} runtime is not available in this version of Viable`,
      fix: "give the agent `runtime: command` with a `command`, or set `defaults.runtime` in .viable/config.json",
    });
  }
  return r;
}
