// Which runtime runs an agent: the command runtime, or one of the agent CLIs configured from
// `.viable/config.json` (binary, default model, extra arguments).

import type { ViableConfig } from "../config/config.ts";
import { defaultConfig } from "../config/config.ts";
import type { Runtime, RuntimeName } from "../domain/runtime.ts";
import { CLI_PROTOCOLS } from "./cli-protocols.ts";
import { cliRuntime } from "./runtimes/cli-runtime.ts";
import { commandRuntime } from "./runtimes/command-runtime.ts";

export function runtimesFor(config: ViableConfig): (name: RuntimeName) => Runtime {
  const made = new Map<RuntimeName, Runtime>();
  return (name) => {
    let r = made.get(name);
    if (!r) {
      r = name === "command" ? commandRuntime : cliRuntime(CLI_PROTOCOLS[name], config);
      made.set(name, r);
    }
    return r;
  };
}

/** With default settings (PATH lookup, no extra arguments). */
export const runtimeFor: (name: RuntimeName) => Runtime = runtimesFor(defaultConfig());
