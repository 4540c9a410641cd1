// Where supervised processes are forked from. The supervisor (supervise-process.ts) starts every
// process through a Spawner and keeps everything else — signals, timers, /proc, transcripts — to
// itself: pids are global, so a process started elsewhere is stopped exactly like one started here.
//
// Node forks the whole calling process to start a child, and the cost of a fork grows with the
// caller's memory: a plan loop holding a large plan and its modules (hundreds of MB) pays several
// milliseconds of CPU per agent, more than a short agent itself. So the loop's processes are started
// by small helper processes — Node with nothing loaded but child_process — that fork cheaply and
// relay each child's pid, output and exit over their IPC channel, and pass on what the supervisor
// asks of a child: stdin writes and its end, pausing and resuming its output, abandoning it.
//
// A helper is blocked while it forks and the child execs (Node's spawn waits for the exec), so one
// helper starts one process at a time. When every helper is busy starting one, another helper is
// started, up to the number of CPUs (HelperPool): a loop at concurrency 1 keeps one helper.
//
// A helper exits when its channel closes (its owner ended, or was killed): the processes it started
// run detached in their own groups, exactly as if the owner had started them, and are reaped by
// their markers like any other. If a helper cannot start, or dies, processes are started in process
// instead; nothing but speed depends on it.

import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";

export type OutputStream = "stdout" | "stderr";

/**
 * - "ignore": the process reads nothing (end of file at once)
 * - "pipe": stdin stays open for `write()` until `closeStdin()`; for multi-turn processes
 * - { text }: written, then closed
 */
export type StdinSpec = "ignore" | "pipe" | { text: string };

export interface SpawnSpec {
  file: string;
  args: readonly string[];
  cwd: string | undefined;
  /** The environment shared by many spawns (sent to a helper once, compared by identity)... */
  baseEnv: Readonly<Record<string, string>>;
  /** ...and this spawn's own variables on top; undefined ones are left out. */
  env: Readonly<Record<string, string | undefined>>;
  stdin: StdinSpec;
}

export interface SpawnExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  readonly pid: number;
  /** Resolves when the process has exited (its output may still be arriving). */
  readonly exited: Promise<SpawnExit>;
  /** Resolves when the process has exited and its output pipes have closed (or were abandoned). */
  readonly closed: Promise<void>;
  /** Only with stdin "pipe": resolves once written; rejects when stdin is closed or broken. */
  write(text: string): Promise<void>;
  closeStdin(): void;
  /** Stops reading its output (the process blocks on a full pipe) until resume(). */
  pause(): void;
  resume(): void;
  /** Stops reading output held open by a descendant that escaped. */
  abandonOutput(): void;
}

/** Output as it arrives: bytes from a process started here, UTF-8 text from a helper. */
export type OnOutput = (stream: OutputStream, data: Buffer | string) => void;

export interface Spawner {
  /** Starts a detached process (its own session and group); rejects with the system's error when it could not start. */
  spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned>;
  /** Stops the helpers, if any; processes already started are not affected. Idempotent. */
  close(): void;
}

/** Starts processes from this process. */
export class InProcessSpawner implements Spawner {
  spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned> {
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(spec.file, spec.args, {
          cwd: spec.cwd,
          env: { ...spec.baseEnv, ...spec.env },
          // Its own session and group, so that a signal to the group reaches what it starts, not us.
          detached: true,
          stdio: [spec.stdin === "ignore" ? "ignore" : "pipe", "pipe", "pipe"],
        });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (child.pid === undefined) {
        // Node reports ENOENT, EACCES and the like asynchronously, with no pid.
        child.once("error", reject);
        return;
      }
      // Once running, "error" would only report a failed kill() or send(), neither of which we use.
      child.on("error", () => {});
      const { stdin, stdout, stderr } = child;
      // A process that exits without reading its input makes our writes fail with EPIPE; that is
      // its business, reported through write()'s promise at most.
      stdin?.on("error", () => {});
      if (typeof spec.stdin === "object") stdin?.end(spec.stdin.text);
      stdout!.on("data", (b: Buffer) => onOutput("stdout", b));
      stderr!.on("data", (b: Buffer) => onOutput("stderr", b));
      stdout!.on("error", () => {});
      stderr!.on("error", () => {});
      const exited = new Promise<SpawnExit>((r) => child.once("exit", (code, signal) => {
        stdin?.destroy();
        r({ code, signal });
      }));
      const closed = new Promise<void>((r) => child.once("close", () => r()));
      resolve({
        pid: child.pid, exited, closed,
        write: (text) => {
          if (!stdin?.writable) return Promise.reject(new Error("stdin is closed"));
          return new Promise((res, rej) => stdin.write(text, (e) => (e ? rej(e) : res())));
        },
        closeStdin: () => stdin?.end(),
        pause: () => {
          stdout!.pause();
          stderr!.pause();
        },
        resume: () => {
          stdout!.resume();
          stderr!.resume();
        },
        abandonOutput: () => {
          stdout!.destroy();
          stderr!.destroy();
        },
      });
    });
  }

  close(): void {}
}

/** The default: stateless, shared. */
export const IN_PROCESS_SPAWNER: Spawner = new InProcessSpawner();

// The helper, as plain JavaScript run with `node -e`: it must not depend on how Viable is loaded.
const HELPER_SOURCE = `
const { spawn } = require("node:child_process");
const children = new Map();
let base = {};
const send = (m) => { try { process.send(m); } catch {} };
const failed = (id, e) => send({ t: "error", id, message: String(e && e.message || e), code: e && e.code });
process.on("disconnect", () => process.exit(0));
// A write to a closed channel: the owner is gone.
process.on("error", () => process.exit(0));
process.on("message", (m) => {
  if (m.t === "spawn") return start(m);
  if (m.t === "base") { base = m.env; return; }
  const c = children.get(m.id);
  switch (m.t) {
    case "write":
      if (!c || !c.stdin || !c.stdin.writable) return send({ t: "written", id: m.id, w: m.w, e: "stdin is closed" });
      c.stdin.write(m.d, (e) => send({ t: "written", id: m.id, w: m.w, e: e ? String(e.message || e) : undefined }));
      return;
    case "end-stdin": if (c && c.stdin) c.stdin.end(); return;
    case "pause": if (c) { c.stdout.pause(); c.stderr.pause(); } return;
    case "resume": if (c) { c.stdout.resume(); c.stderr.resume(); } return;
    case "abandon": if (c) { c.stdout.destroy(); c.stderr.destroy(); } return;
  }
});
function start(m) {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: Object.assign({}, base, m.env), detached: true, stdio: [m.stdin === "ignore" ? "ignore" : "pipe", "pipe", "pipe"] });
  } catch (e) {
    return failed(m.id, e);
  }
  if (child.pid === undefined) return void child.once("error", (e) => failed(m.id, e));
  children.set(m.id, child);
  child.on("error", () => {});
  send({ t: "spawned", id: m.id, pid: child.pid });
  if (child.stdin) {
    child.stdin.on("error", () => {});
    if (typeof m.stdin === "object") child.stdin.end(m.stdin.text);
  }
  child.stdout.setEncoding("utf8").on("data", (s) => send({ t: "out", id: m.id, s: 1, d: s }));
  child.stderr.setEncoding("utf8").on("data", (s) => send({ t: "out", id: m.id, s: 2, d: s }));
  child.stdout.on("error", () => {});
  child.stderr.on("error", () => {});
  // Exit and close usually come moments apart: reported as one message, the owner wakes once.
  let exited = null;
  let timer;
  child.once("exit", (code, signal) => {
    if (child.stdin) child.stdin.destroy();
    exited = { code, signal };
    timer = setTimeout(() => { send({ t: "exit", id: m.id, code, signal }); exited = "sent"; }, 20);
  });
  child.once("close", () => {
    clearTimeout(timer);
    children.delete(m.id);
    if (exited !== "sent") send({ t: "end", id: m.id, code: exited.code, signal: exited.signal });
    else send({ t: "close", id: m.id });
  });
}
send({ t: "ready" });
`;

type ToHelper =
  | { t: "base"; env: Readonly<Record<string, string>> }
  | { t: "spawn"; id: number; file: string; args: readonly string[]; cwd: string | undefined; env: Readonly<Record<string, string | undefined>>; stdin: StdinSpec }
  | { t: "write"; id: number; w: number; d: string }
  | { t: "end-stdin" | "pause" | "resume" | "abandon"; id: number };

type FromHelper =
  | { t: "ready" }
  | { t: "spawned"; id: number; pid: number }
  | { t: "error"; id: number; message: string; code?: string }
  | { t: "out"; id: number; s: 1 | 2; d: string }
  | { t: "written"; id: number; w: number; e?: string }
  | { t: "exit"; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: "close"; id: number }
  /** Exit and close at once. */
  | { t: "end"; id: number; code: number | null; signal: NodeJS.Signals | null };

interface Pending {
  onOutput: OnOutput;
  resolve: (s: Spawned) => void;
  reject: (e: Error) => void;
  exited?: (v: SpawnExit) => void;
  closed?: () => void;
  pid?: number;
  /** Writes to its stdin not yet acknowledged by the helper. */
  writes?: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
  /** It has closed (or the helper is gone). */
  done?: boolean;
}

let nextWrite = 0;

/** A process started by a helper: what the supervisor asks of it goes to the helper as a message. */
class HelperChild implements Spawned {
  readonly pid: number;
  readonly exited: Promise<SpawnExit>;
  readonly closed: Promise<void>;
  readonly #send: (m: ToHelper) => void;
  readonly #id: number;
  readonly #p: Pending;

  constructor(send: (m: ToHelper) => void, id: number, p: Pending, pid: number) {
    this.#send = send;
    this.#id = id;
    this.#p = p;
    this.pid = pid;
    this.exited = new Promise<SpawnExit>((r) => (p.exited = r));
    this.closed = new Promise<void>((r) => (p.closed = r));
  }

  write(text: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#p.done) {
        reject(new Error("the process has exited"));
        return;
      }
      const w = ++nextWrite;
      (this.#p.writes ??= new Map()).set(w, { resolve, reject });
      this.#send({ t: "write", id: this.#id, w, d: text });
    });
  }

  closeStdin(): void {
    this.#send({ t: "end-stdin", id: this.#id });
  }

  pause(): void {
    this.#send({ t: "pause", id: this.#id });
  }

  resume(): void {
    this.#send({ t: "resume", id: this.#id });
  }

  abandonOutput(): void {
    this.#send({ t: "abandon", id: this.#id });
  }
}

/** Starts processes from a small helper process; falls back to this process if the helper fails. */
export class HelperSpawner implements Spawner {
  readonly #pending = new Map<number, Pending>();
  #helper: ChildProcess | undefined;
  #ready: Promise<boolean> | undefined;
  #next = 0;
  #broken = false;
  #sentBase: Readonly<Record<string, string>> | undefined;
  /** Spawns sent to the helper and not yet answered: while there are any, the helper is forking. */
  #starting = 0;
  readonly #sendFn = (m: ToHelper): void => this.#send(m);

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
        // Its own process group: a Ctrl-C at the terminal (SIGINT to the foreground group) is
        // Viable's to handle by cancelling attempts, not a reason for the helper to die with them.
        helper = spawn(process.execPath, ["-e", HELPER_SOURCE], { stdio: ["ignore", "ignore", "inherit", "ipc"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, detached: true });
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
      // The helper keeps its owner's process alive while it starts and while it has children to
      // report on, not otherwise.
      this.#hold(true);
    });
    return this.#ready;
  }

  async spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned> {
    if (this.#broken) return IN_PROCESS_SPAWNER.spawn(spec, onOutput);
    // Counted from the call on, so that spawns made in the same turn go to different helpers.
    this.#starting++;
    if (!(await this.#start()) || !this.#helper?.connected) {
      this.#starting--;
      return IN_PROCESS_SPAWNER.spawn(spec, onOutput);
    }
    const id = ++this.#next;
    if (spec.baseEnv !== this.#sentBase) {
      this.#send({ t: "base", env: spec.baseEnv });
      this.#sentBase = spec.baseEnv;
    }
    return new Promise<Spawned>((resolve, reject) => {
      this.#pending.set(id, { onOutput, resolve, reject });
      if (this.#pending.size === 1) this.#hold(true);
      this.#send({ t: "spawn", id, file: spec.file, args: spec.args, cwd: spec.cwd, env: spec.env, stdin: spec.stdin });
    });
  }

  close(): void {
    this.#broken = true;
    if (this.#helper?.connected) this.#helper.disconnect();
  }

  #send(m: ToHelper): void {
    try {
      this.#helper?.send(m);
    } catch {
      // The channel closed: the helper is gone, and #lost() settles what depended on it.
    }
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

  #done(id: number, p: Pending): void {
    p.done = true;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#hold(false);
    for (const w of p.writes?.values() ?? []) w.reject(new Error("the process has exited"));
    p.writes?.clear();
    p.closed?.();
  }

  #onMessage(m: Exclude<FromHelper, { t: "ready" }>): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    switch (m.t) {
      case "error":
        this.#starting--;
        this.#done(m.id, p);
        p.reject(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
        return;
      case "spawned":
        this.#starting--;
        p.pid = m.pid;
        p.resolve(new HelperChild(this.#sendFn, m.id, p, m.pid));
        return;
      case "out":
        p.onOutput(m.s === 1 ? "stdout" : "stderr", m.d);
        return;
      case "written": {
        const w = p.writes?.get(m.w);
        p.writes?.delete(m.w);
        if (m.e === undefined) w?.resolve();
        else w?.reject(new Error(m.e));
        return;
      }
      case "exit":
        p.exited?.({ code: m.code, signal: m.signal });
        return;
      case "end":
        p.exited?.({ code: m.code, signal: m.signal });
        this.#done(m.id, p);
        return;
      case "close":
        this.#done(m.id, p);
        return;
    }
  }

  /**
   * The helper died. Its children run on (detached); what they still do is not observable from
   * here, so each is reported as ended by a signal and the supervisor's leftover check stops its
   * group. Later spawns happen in process.
   */
  #lost(): void {
    this.#broken = true;
    for (const [id, p] of this.#pending) {
      if (p.pid === undefined) {
        this.#pending.delete(id);
        this.#starting--;
        p.reject(new Error("the process spawner stopped"));
      } else {
        p.exited?.({ code: null, signal: "SIGKILL" });
        this.#done(id, p);
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
  #closed = false;

  constructor(max = Math.min(4, os.availableParallelism())) {
    this.#max = Math.max(1, max);
  }

  /** Helpers started so far. */
  get size(): number {
    return this.#helpers.length;
  }

  spawn(spec: SpawnSpec, onOutput: OnOutput): Promise<Spawned> {
    if (this.#closed) return IN_PROCESS_SPAWNER.spawn(spec, onOutput);
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

  /** Later spawns happen in process. */
  close(): void {
    this.#closed = true;
    for (const h of this.#helpers) h.close();
  }
}
