// Which runtime runs an agent: the command runtime, or one of the agent CLIs configured from the
// project's `.viable/config.json` (binary, default model, extra arguments, passed-through
// variables, warm pool). One resolver per command run, built from the project's config, and closed
// when the command ends: warm processes and spawn helpers never outlive it.

import { warmMarker } from "./warm-marker.ts";
import type { ViableConfig } from "../config/config.ts";
import type { Runtime, RuntimeName } from "../domain/runtime.ts";
import { CLI_PROTOCOLS } from "./cli-protocols.ts";
import { cliRuntime } from "./runtimes/cli-runtime.ts";
import { LeftoverSweeper } from "../process/leftover-sweeper.ts";
import { HelperPool } from "../process/spawner.ts";
import type { SupervisionStrategy } from "../process/supervise-process.ts";
import { createCommandRuntime, loopCommandStrategy } from "./runtimes/command-runtime.ts";

export interface RuntimeResolverOptions {
  /** The project: its warm processes carry a marker derived from it, so a restart can reap them. */
  projectRoot: string;
  /**
   * How command agents are started: "direct" from this process, checking for leftovers at every
   * exit (a VSM cycle runs a handful); "pooled" from small helper processes, leftovers swept in
   * batches (a plan loop may run thousands of short ones).
   */
  commands?: "direct" | "pooled";
  /**
   * Whether claude's warm pool (runtimes.claude.warm_pool) serves attempts. A warm process is
   * started in its working directory ahead of need; when every attempt has a directory of its own
   * (plan items in worktrees) none could ever be served, so there is none. Default true.
   */
  warmPool?: boolean;
}

export class RuntimeResolver {
  readonly #config: ViableConfig;
  readonly #options: RuntimeResolverOptions;
  readonly #made = new Map<RuntimeName, Runtime>();
  #pooled: { spawner: HelperPool; leftovers: LeftoverSweeper } | undefined;
  #closed = false;

  constructor(config: ViableConfig, options: RuntimeResolverOptions) {
    this.#config = config;
    this.#options = options;
  }

  /** The runtime for `name`, made on first use. */
  get(name: RuntimeName): Runtime {
    if (this.#closed) throw new Error("the runtime resolver is closed");
    let r = this.#made.get(name);
    if (r === undefined) {
      r = name === "command"
        ? createCommandRuntime(this.#pooledProcesses() ? loopCommandStrategy(this.#pooledProcesses()) : {})
        : cliRuntime(CLI_PROTOCOLS[name], this.#config, { warmMarker: warmMarker(this.#options.projectRoot), warmPool: this.#options.warmPool !== false });
      this.#made.set(name, r);
    }
    return r;
  }

  /**
   * How the command's other processes (checks, setup hooks) are started: with "pooled", from the
   * same helpers as command agents, their leftovers swept with theirs; otherwise the supervisor's
   * defaults.
   */
  get processes(): Pick<SupervisionStrategy, "spawner" | "leftovers"> {
    return this.#pooledProcesses() ?? {};
  }

  #pooledProcesses(): { spawner: HelperPool; leftovers: LeftoverSweeper } | undefined {
    if (this.#options.commands !== "pooled") return undefined;
    this.#pooled ??= { spawner: new HelperPool(), leftovers: new LeftoverSweeper() };
    return this.#pooled;
  }

  /** Ends what runtimes keep between attempts (warm processes, spawn helpers, pending sweeps). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#made.values()].map((r) => r.close?.() ?? Promise.resolve()));
    this.#pooled?.spawner.close();
    await this.#pooled?.leftovers.close();
  }
}

