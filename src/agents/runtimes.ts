// Which runtime runs an agent: the command runtime, or one of the agent CLIs configured from
// `.viable/config.json` (binary, default model, extra arguments).

import { createHash } from "node:crypto";
import type { ViableConfig } from "../config/config.ts";
import { defaultConfig } from "../config/config.ts";
import type { Runtime, RuntimeName } from "../domain/runtime.ts";
import { CLI_PROTOCOLS } from "./cli-protocols.ts";
import { cliRuntime } from "./runtimes/cli-runtime.ts";
import { createCommandRuntime } from "./runtimes/command-runtime.ts";

export type RuntimeResolver = ((name: RuntimeName) => Runtime) & {
  /** Ends what runtimes keep between attempts (warm processes); call before the process exits. */
  closeAll(): Promise<void>;
};

export function runtimesFor(config: ViableConfig, projectRoot?: string): RuntimeResolver {
  const made = new Map<RuntimeName, Runtime>();
  const resolve = (name: RuntimeName): Runtime => {
    let r = made.get(name);
    if (!r) {
      r = name === "command" ? createCommandRuntime() : cliRuntime(CLI_PROTOCOLS[name], config, projectRoot ? { warmMarkerPrefix: warmMarkerPrefix(projectRoot) } : {});
      made.set(name, r);
    }
    return r;
  };
  return Object.assign(resolve, {
    closeAll: async () => {
      await Promise.all([...made.values()].map((r) => r.close?.() ?? Promise.resolve()));
    },
  });
}

/** Warm processes of one project carry markers with this prefix, so a restart can reap them. */
export function warmMarkerPrefix(projectRoot: string): string {
  return `warm-${createHash("sha256").update(projectRoot).digest("hex").slice(0, 10)}`;
}

/** With default settings (PATH lookup, no extra arguments). */
export const runtimeFor: (name: RuntimeName) => Runtime = runtimesFor(defaultConfig());
