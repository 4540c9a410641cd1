// A runtime for an agent CLI: spawn it in its structured mode under the supervisor, feed its stdout
// to the protocol's parser, and let the parser decide the outcome from the protocol's facts. The
// environment is the allowlist plus the CLI's own variables; their secret values are redacted from
// transcripts and events.

import type { ViableConfig } from "../../config/config.ts";
import type { AgentEvent, AttemptOutcome } from "../../domain/outcome.ts";
import { failedOutcome } from "../../domain/outcome.ts";
import type { Runtime, RunRequest } from "../../domain/runtime.ts";
import { scrubbedEnv } from "../../process/environment.ts";
import { secretValues } from "../../process/redact.ts";
import { superviseProcess, type SupervisedProcess } from "../../process/supervise-process.ts";
import { resolveCliBinary } from "../cli-binary.ts";
import { configuredEnv } from "../configured-env.ts";
import type { CliProtocol } from "../cli-protocols.ts";
import { claudeWarmArgs } from "../protocols/claude.ts";
import { trimSummary } from "../protocols/common.ts";
import type { WarmMarker } from "../warm-marker.ts";
import type { PermissionBroker } from "../../domain/permissions.ts";
import { REDACTED } from "../../process/redact.ts";
import { ClaudeWarmPool, userMessageLine } from "./claude-warm-pool.ts";

/** Tools the CLIs need from the user's environment beyond the base allowlist. */
const CLI_COMMON_ENV: readonly (string | RegExp)[] = [/^VIABLE_/, "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy", "XDG_RUNTIME_DIR"];

export interface CliRuntimeOptions {
  /** How warm processes are marked, unique to the project (so the next start can reap them). */
  warmMarker: WarmMarker;
  /** false: no warm pool even when configured (every attempt in a directory of its own). */
  warmPool?: boolean;
}

/** An outcome whose failure is the setup says what to check. */
export function withFix(protocol: CliProtocol, outcome: AttemptOutcome): AttemptOutcome {
  const kind = outcome.failure?.kind;
  if (kind !== "authentication" && kind !== "configuration") return outcome;
  const fix = kind === "authentication"
    ? `check the key ${protocol.command} uses (${protocol.authEnv.slice(0, 2).join(" or ")}, or its login) and its base URL, if you set one`
    : `check the model name (runtimes.${protocol.name}.model, or the agent's model) and the provider's base URL`;
  const error = `${outcome.error ?? outcome.summary}\n  fix: ${fix}`;
  return { ...outcome, error, summary: trimSummary(outcome.error ?? outcome.summary) };
}

/** What of the user's environment a CLI sees: credentials, endpoints, what config names. */
export function cliInheritedEnv(protocol: CliProtocol, settings: { pass_env?: string[] | undefined }, cwd: string): Record<string, string> {
  return scrubbedEnv(process.env, [
    ...CLI_COMMON_ENV, ...protocol.passthrough, ...(protocol.selected?.(process.env) ?? []),
    // What the user named in .viable/config.json, and what the CLI's own config points at.
    ...(settings.pass_env ?? []), ...configuredEnv(protocol.name, process.env, cwd),
  ]);
}

export function cliRuntime(protocol: CliProtocol, config: ViableConfig, options: CliRuntimeOptions): Runtime {
  const settings: Partial<NonNullable<ViableConfig["runtimes"][typeof protocol.name]>> = config.runtimes[protocol.name] ?? {};
  const warm = protocol.name === "claude" && options.warmPool !== false && (settings.warm_pool?.size ?? 0) > 0
    ? new ClaudeWarmPool({ size: settings.warm_pool?.size ?? 0, maxTasks: settings.warm_pool?.max_tasks ?? 1,
      marker: options.warmMarker, newParser: (cwd) => protocol.parser({ cwd }) })
    : undefined;
  return {
    name: protocol.name,
    close: async () => {
      await warm?.close();
    },
    async *run(req: RunRequest): AsyncGenerator<AgentEvent> {
      const file = resolveCliBinary(protocol, settings.bin);
      if (!file) {
        const why = `${protocol.command} is not installed or not on PATH`;
        yield { type: "finished", outcome: failedOutcome(`${why} (install it with \`npm install -g ${protocol.npmPackage}\`, or set runtimes.${protocol.name}.bin in .viable/config.json)`, undefined, { kind: "not_installed" }) };
        return;
      }
      const isRoot = process.getuid?.() === 0;
      // Only claude brings its tool requests to a host; the other CLIs keep their own modes.
      const brokered = protocol.name === "claude" ? req.permissions : undefined;
      const autoApprove = brokered ? false : (settings.auto_approve ?? true);
      const model = req.model ?? settings.model;
      // The agent's own limit wins over the runtime's default.
      const maxTurns = req.maxTurns ?? settings.max_turns;
      const tools = {
        ...(req.tools !== undefined ? { tools: req.tools } : {}),
        ...(req.disallowedTools !== undefined ? { disallowedTools: req.disallowedTools } : {}),
      };
      const args = [...(settings.args ?? []), ...protocol.args({
        prompt: req.prompt,
        ...(model !== undefined ? { model } : {}),
        ...(req.systemPrompt ? { systemPrompt: req.systemPrompt } : {}),
        ...(req.resumeSessionId !== undefined ? { resumeSessionId: req.resumeSessionId } : {}),
        ...(maxTurns !== undefined ? { maxTurns } : {}),
        ...tools,
        // The workspace is the sandbox: a headless agent that must ask for each edit gets nothing done.
        autoApprove,
        ...(brokered ? { permissionRules: brokered.rules } : {}),
      })];
      const inherited = cliInheritedEnv(protocol, settings, req.cwd);
      const env = { ...inherited, ...protocol.env({ autoApprove, isRoot }), ...req.env };
      const secrets = secretValues(inherited);
      if (warm && req.resumeSessionId === undefined && !brokered) {
        // A warm process cannot take a --resume; continuation runs cold.
        const warmArgs = [...(settings.args ?? []), ...claudeWarmArgs({ ...(model !== undefined ? { model } : {}), ...(req.systemPrompt ? { systemPrompt: req.systemPrompt } : {}), ...(maxTurns !== undefined ? { maxTurns } : {}), ...tools })];
        const spawn = { file, args: warmArgs, cwd: req.cwd, env: { ...inherited, ...protocol.env({ autoApprove, isRoot }) }, redact: secrets, killGraceMs: req.limits.killGraceMs, maxOutputBytes: req.limits.maxOutputBytes };
        // Per-attempt variables (VIABLE_TASK_ID, ...) cannot reach a process started earlier, so
        // the key leaves them out and the prompt carries what the agent needs.
        const key = JSON.stringify([file, warmArgs, req.cwd]);
        for await (const ev of warm.run(key, spawn, req, userMessageLine(req.prompt))) {
          yield ev.type === "finished" ? { type: "finished", outcome: withFix(protocol, ev.outcome) } : ev;
        }
        return;
      }
      const parser = protocol.parser({ cwd: req.cwd, ...(brokered ? { brokered: true } : {}) });
      const proc = superviseProcess({
        file, args, cwd: req.cwd, env, stdin: brokered ? "pipe" : "ignore", marker: req.attemptId, signal: req.signal,
        timeoutMs: req.limits.timeoutMs,
        ...(req.limits.idleTimeoutMs !== undefined ? { idleTimeoutMs: req.limits.idleTimeoutMs } : {}),
        killGraceMs: req.limits.killGraceMs, maxOutputBytes: req.limits.maxOutputBytes, transcriptPath: req.transcriptPath,
        redact: secrets,
        ...(req.onSpawn ? { onSpawn: req.onSpawn } : {}),
      });
      const pid = await proc.started;
      if (pid !== undefined) yield { type: "started", pid, pgid: pid, command: `${protocol.command} ${args.slice(0, 4).join(" ")} …`, ...(model ? { model } : {}) };
      let stopping = false;
      const broker = brokered ? new ControlChannel(proc, brokered, req.signal) : undefined;
      if (broker) broker.send(userMessageLine(req.prompt));
      for await (const line of proc.lines) {
        if (broker && line.stream === "stdout" && broker.take(line.text, line.truncated)) continue;
        const events = line.stream === "stdout" ? parser.push(line.text) : parser.pushStderr(line.text);
        for (const ev of events) yield ev;
        if (parser.fatal && !stopping) {
          stopping = true;
          proc.terminate(parser.fatal.error ?? "the run cannot succeed");
        }
      }
      broker?.close();
      for (const ev of parser.end()) yield ev;
      const exit = await proc.exited;
      if (exit.termination === "spawn_failed") {
        yield { type: "finished", outcome: failedOutcome(`${protocol.command} could not start: ${exit.error ?? "spawn failed"}`, undefined, { kind: "not_installed" }) };
        return;
      }
      const outcome: AttemptOutcome = withFix(protocol, parser.classify({
        exitCode: exit.exitCode,
        signal: exit.signal,
        termination: exit.termination === "idle_timeout" ? "timed_out" : exit.termination,
        durationMs: exit.durationMs,
        outputTruncated: exit.outputTruncated,
      }));
      const model2 = parser.model ?? model;
      yield {
        type: "finished",
        outcome: {
          ...outcome,
          ...(model2 !== undefined ? { model: model2 } : {}),
          ...(exit.termination === "idle_timeout" ? { error: `no output for ${Math.round((req.limits.idleTimeoutMs ?? 0) / 1000)} s; the process group was stopped` } : {}),
          ...(exit.termination === "cancelled" && !outcome.error && exit.error ? { error: exit.error } : {}),
        },
      };
    },
  };
}

/**
 * Claude's side of brokered permissions (stream-json control protocol): each `can_use_tool` request
 * on stdout goes to the broker and its decision back on stdin; stdin closes once the run reports its
 * result, which ends the CLI. While a decision is pending the process's silence is not idleness.
 * A request the CLI withdraws, or one still open when the process ends, is withdrawn from the
 * broker too (its question is closed). A request that cannot be answered as it stands — cut at the
 * line limit, or holding a secret Viable masks (approving it would run the mask) — is denied.
 */
class ControlChannel {
  readonly #proc: Pick<SupervisedProcess, "write" | "closeStdin" | "holdIdle">;
  readonly #broker: PermissionBroker;
  readonly #signal: AbortSignal;
  readonly #open = new Map<string, AbortController>();

  constructor(proc: Pick<SupervisedProcess, "write" | "closeStdin" | "holdIdle">, broker: PermissionBroker, signal: AbortSignal) {
    this.#proc = proc;
    this.#broker = broker;
    this.#signal = signal;
  }

  send(line: string): void {
    // A closed stdin means the run is ending: nothing left to say.
    this.#proc.write(`${line}\n`).catch(() => undefined);
  }

  /** True when the line was the protocol's own (a control message), not an event for the parser. */
  take(text: string, truncated: boolean): boolean {
    if (!text.startsWith("{")) return false;
    if (truncated) {
      // Cut at the line limit: the head still says what it is.
      if (text.startsWith('{"type":"result"')) this.#proc.closeStdin();
      const id = /^\{"type":"control_request","request_id":"([^"]+)"/.exec(text)?.[1];
      if (id === undefined) return false;
      this.#answer(id, { behavior: "deny", message: "Denied by Viable: the request is too large to show a person. Make smaller changes, one step at a time." });
      return true;
    }
    let msg: { type?: string; request_id?: string; request?: { subtype?: string; tool_name?: string; input?: Record<string, unknown>; description?: string; decision_reason?: string; tool_use_id?: string } };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return false;
    }
    if (msg.type === "result") this.#proc.closeStdin();
    if (msg.type === "control_cancel_request") {
      this.#open.get(msg.request_id ?? "")?.abort(new Error("withdrawn by the agent"));
      return true;
    }
    if (msg.type !== "control_request") return false;
    const id = msg.request_id ?? "";
    const r = msg.request ?? {};
    if (r.subtype !== "can_use_tool") {
      this.send(JSON.stringify({ type: "control_response", response: { subtype: "error", request_id: id, error: `Viable does not handle ${r.subtype ?? "this request"}` } }));
      return true;
    }
    const input = r.input ?? {};
    if (JSON.stringify(input).includes(REDACTED)) {
      this.#answer(id, { behavior: "deny", message: "Denied by Viable: the request contains a secret that Viable masks in everything it shows, so nobody can approve it as it stands. Read the secret from the environment instead of writing it out." });
      return true;
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort(this.#signal.reason);
    this.#signal.addEventListener("abort", onAbort, { once: true });
    this.#open.set(id, controller);
    const release = this.#proc.holdIdle();
    void this.#broker.decide({
      tool: r.tool_name ?? "unknown", input,
      ...(r.description !== undefined ? { description: r.description } : {}),
      ...(r.decision_reason !== undefined ? { reason: r.decision_reason } : {}),
      ...(r.tool_use_id !== undefined ? { toolUseId: r.tool_use_id } : {}),
    }, controller.signal).then(
      (d) => (d.allow ? { behavior: "allow", updatedInput: d.input } : { behavior: "deny", message: d.message }),
      (e: unknown) => ({ behavior: "deny", message: `Viable could not decide: ${e instanceof Error ? e.message : String(e)}` }),
    ).then((response) => {
      release();
      this.#signal.removeEventListener("abort", onAbort);
      this.#open.delete(id);
      if (!controller.signal.aborted) this.#answer(id, response);
    });
    return true;
  }

  /** The process ended: whatever it still asked is withdrawn. */
  close(): void {
    for (const c of this.#open.values()) c.abort(new Error("the agent's process ended"));
  }

  #answer(id: string, response: Record<string, unknown>): void {
    this.send(JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: id, response } }));
  }
}
