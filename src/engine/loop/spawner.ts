// Where the plan loop's agent processes are forked from. Node forks the whole calling process to
// start a child, and the cost of a fork grows with the caller's memory: a loop holding a large plan
// and its modules (hundreds of MB) pays several milliseconds of CPU per agent, more than a short
// agent itself. So the loop's processes are started by a small helper process — Node with nothing
// loaded but child_process — that forks cheaply and relays each child's pid, output and exit over
// its IPC channel. Signals, /proc and the rest of supervision stay in the loop: pids are global.
//
// A helper is blocked while it forks and the child execs (Node's spawn waits for the exec), so one
// helper starts one process at a time. When every helper is busy starting one, another helper is
// started, up to the number of CPUs (HelperPool): a loop at concurrency 1 keeps one helper.
//
// The helper exits when its channel closes (the loop ended, or was killed): the agents it started
// run detached in their own groups, exactly as if the loop had started them, and are reaped by
// their markers like any other. If the helper cannot start, or dies, processes are started in
// process instead; nothing but speed depends on it.

import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";

export interface SpawnSpec {
  file: string;
  args: readonly string[];
  cwd: string;
  /** The environment shared by many spawns (sent to the helper once), and this spawn's own on top. */
  baseEnv: Readonly<Record<string, string>>;
  env: Record<string, string>;
  /** Written to stdin, which is then closed. */
  stdin: string;
}

export interface Spawned {
  pid: number;
  /** Resolves when the process has exited (its output may still be arriving). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process has exited and its output pipes have closed. */
  closed: Promise<void>;
  /** Stops reading output held open by a descendant that escaped. */
  abandonOutput(): void;
}

export type OnOutput = (stream: "stdout" | "stderr", text: string) => void;

export interface Spawner {
  /** Starts a detached process (its own group); rejects when it could not start. */
  spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned>;
  close(): void;
}

/** Starts processes from this process. */
export class InProcessSpawner implements Spawner {
  spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned> {
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: { ...spec.baseEnv, ...spec.env }, detached: true, stdio: ["pipe", "pipe", "pipe"] });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (child.pid === undefined) {
        child.once("error", (e) => reject(e));
        return;
      }
      child.on("error", () => {});
      child.stdin!.on("error", () => {});
      child.stdin!.end(spec.stdin);
      child.stdout!.setEncoding("utf8").on("data", (s: string) => onOutput("stdout", s));
      child.stderr!.setEncoding("utf8").on("data", (s: string) => onOutput("stderr", s));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
      const closed = new Promise<void>((r) => child.once("close", () => r()));
      resolve({
        pid: child.pid, exited, closed,
        abandonOutput: () => {
          child.stdout!.destroy();
          child.stderr!.destroy();
        },
      });
    });
  }

  close(): void {}
}

// The helper, as plain JavaScript run with `node -e`: it must not depend on how Viable is loaded.
const HELPER_SOURCE = `
const { spawn } = require("node:child_process");
const children = new Map();
let base = {};
const send = (m) => { try { process.send(m); } catch {} };
process.on("disconnect", () => process.exit(0));
// A write to a closed channel: the loop is gone.
process.on("error", () => process.exit(0));
process.on("message", (m) => {
  if (m.t === "base") {
    base = m.env;
    return;
  }
  if (m.t === "abandon") {
    const c = children.get(m.id);
    if (c) { c.stdout.destroy(); c.stderr.destroy(); }
    return;
  }
  if (m.t !== "spawn") return;
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: Object.assign({}, base, m.env), detached: true, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    send({ t: "error", id: m.id, message: String(e && e.message || e) });
    return;
  }
  if (child.pid === undefined) {
    child.once("error", (e) => send({ t: "error", id: m.id, message: String(e && e.message || e) }));
    return;
  }
  children.set(m.id, child);
  child.on("error", () => {});
  send({ t: "spawned", id: m.id, pid: child.pid });
  child.stdin.on("error", () => {});
  child.stdin.end(m.stdin);
  child.stdout.setEncoding("utf8").on("data", (s) => send({ t: "out", id: m.id, s: 1, d: s }));
  child.stderr.setEncoding("utf8").on("data", (s) => send({ t: "out", id: m.id, s: 2, d: s }));
  // Exit and close usually come moments apart: reported as one message, the loop wakes once.
  let exited = null;
  let timer;
  child.once("exit", (code, signal) => {
    exited = { code, signal };
    timer = setTimeout(() => { send({ t: "exit", id: m.id, code, signal }); exited = "sent"; }, 20);
  });
  child.once("close", () => {
    clearTimeout(timer);
    children.delete(m.id);
    if (exited !== "sent") send({ t: "end", id: m.id, code: exited.code, signal: exited.signal });
    else send({ t: "close", id: m.id });
  });
});
send({ t: "ready" });
`;

type FromHelper =
  | { t: "ready" }
  | { t: "spawned"; id: number; pid: number }
  | { t: "error"; id: number; message: string }
  | { t: "out"; id: number; s: 1 | 2; d: string }
  | { t: "exit"; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: "close"; id: number }
  /** Exit and close at once. */
  | { t: "end"; id: number; code: number | null; signal: NodeJS.Signals | null };

interface Pending {
  onOutput: OnOutput;
  resolve: (s: Spawned) => void;
  reject: (e: Error) => void;
  exited?: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  closed?: () => void;
  pid?: number;
}

/** Starts processes from a small helper process; falls back to this process if the helper fails. */
export class HelperSpawner implements Spawner {
  readonly #fallback = new InProcessSpawner();
  readonly #pending = new Map<number, Pending>();
  #helper: ChildProcess | undefined;
  #ready: Promise<boolean> | undefined;
  #next = 0;
  #broken = false;
  #sentBase: Readonly<Record<string, string>> | undefined;
  /** Spawns sent to the helper and not yet answered: while there are any, the helper is forking. */
  #starting = 0;

  /** Spawn requests this helper is still working on. */
  get starting(): number {
    return this.#starting;
  }

  /** Processes started by this helper (or being started) that have not closed. */
  get load(): number {
    return this.#pending.size;
  }

  #start(): Promise<boolean> {
    this.#ready ??= new Promise<boolean>((resolve) => {
      let helper: ChildProcess;
      try {
        // Only the IPC channel and stderr: the helper has nothing to say on stdout.
        helper = spawn(process.execPath, ["-e", HELPER_SOURCE], { stdio: ["ignore", "ignore", "inherit", "ipc"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      } catch {
        resolve(false);
        return;
      }
      this.#helper = helper;
      helper.once("error", () => resolve(false));
      helper.on("message", (m: FromHelper) => {
        if (m.t === "ready") {
          if (this.#pending.size === 0) this.#hold(false);
          resolve(true);
        } else this.#onMessage(m);
      });
      helper.once("exit", () => {
        resolve(false);
        this.#lost();
      });
      // The helper keeps the loop's process alive while it starts and while it has children to
      // report on, not otherwise.
      this.#hold(true);
    });
    return this.#ready;
  }

  async spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned> {
    if (this.#broken) return this.#fallback.spawn(spec, onOutput);
    // Counted from the call on, so that spawns made in the same turn go to different helpers.
    this.#starting++;
    if (!(await this.#start()) || !this.#helper?.connected) {
      this.#starting--;
      return this.#fallback.spawn(spec, onOutput);
    }
    const id = ++this.#next;
    if (spec.baseEnv !== this.#sentBase) {
      this.#helper.send({ t: "base", env: spec.baseEnv });
      this.#sentBase = spec.baseEnv;
    }
    return new Promise<Spawned>((resolve, reject) => {
      this.#pending.set(id, { onOutput, resolve, reject });
      if (this.#pending.size === 1) this.#hold(true);
      this.#helper!.send({ t: "spawn", id, file: spec.file, args: spec.args, cwd: spec.cwd, env: spec.env, stdin: spec.stdin });
    });
  }

  close(): void {
    this.#broken = true;
    if (this.#helper?.connected) this.#helper.disconnect();
  }

  #hold(on: boolean): void {
    const helper = this.#helper as (ChildProcess & { channel?: { ref(): void; unref(): void } }) | undefined;
    if (on) {
      helper?.ref();
      helper?.channel?.ref();
    } else {
      helper?.unref();
      helper?.channel?.unref();
    }
  }

  #done(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#hold(false);
  }

  #onMessage(m: Exclude<FromHelper, { t: "ready" }>): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    switch (m.t) {
      case "error":
        this.#starting--;
        this.#done(m.id);
        p.reject(new Error(m.message));
        return;
      case "spawned": {
        this.#starting--;
        p.pid = m.pid;
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (p.exited = r));
        const closed = new Promise<void>((r) => (p.closed = r));
        p.resolve({ pid: m.pid, exited, closed, abandonOutput: () => this.#helper?.send({ t: "abandon", id: m.id }) });
        return;
      }
      case "out":
        p.onOutput(m.s === 1 ? "stdout" : "stderr", m.d);
        return;
      case "exit":
        p.exited?.({ code: m.code, signal: m.signal });
        return;
      case "end":
        p.exited?.({ code: m.code, signal: m.signal });
        this.#done(m.id);
        p.closed?.();
        return;
      case "close":
        this.#done(m.id);
        p.closed?.();
        return;
    }
  }

  /**
   * The helper died. Its children run on (detached); what they still do is not observable from
   * here, so each is reported as ended by a signal and its group is stopped by the caller's
   * leftover check. Later spawns happen in process.
   */
  #lost(): void {
    this.#broken = true;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      if (p.pid === undefined) {
        this.#starting--;
        p.reject(new Error("the process spawner stopped"));
      } else {
        p.exited?.({ code: null, signal: "SIGKILL" });
        p.closed?.();
      }
    }
  }
}

/**
 * Helpers, started as needed: a spawn goes to a helper that is not busy starting another process,
 * and a new helper is started only when every one is, up to `max` (default: the CPUs, at most 4).
 */
export class HelperPool implements Spawner {
  readonly #helpers: HelperSpawner[] = [];
  readonly #max: number;

  constructor(max = Math.min(4, os.availableParallelism())) {
    this.#max = Math.max(1, max);
  }

  /** Helpers started so far. */
  get size(): number {
    return this.#helpers.length;
  }

  spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned> {
    let best: HelperSpawner | undefined;
    for (const h of this.#helpers) {
      if (best === undefined || h.starting < best.starting || (h.starting === best.starting && h.load < best.load)) best = h;
    }
    if (best === undefined || (best.starting > 0 && this.#helpers.length < this.#max)) {
      best = new HelperSpawner();
      this.#helpers.push(best);
    }
    return best.spawn(spec, onOutput);
  }

  close(): void {
    for (const h of this.#helpers) h.close();
  }
}
