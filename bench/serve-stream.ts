// P5, the dashboard's live stream under load: a writer in its own process commits 1,000 events/s
// (10 every 10 ms) for 30 s into a project that `viable serve` (another process) shows, while 50
// Server-Sent-Events clients in this process follow the project's stream. Measured: the latency
// from each commit resolving in the writer to each client receiving the event (targets: p99 under
// 100 ms, no event lost), events lost, duplicated or replaced by a resync, and the server's CPU and
// resident memory. The reference, from the same run: how long the journal's own commit takes in
// the writer.
//
// Times cross processes as wall-clock milliseconds with sub-millisecond precision
// (`performance.timeOrigin + performance.now()`, one machine, one clock). A client's receipt time
// is when the chunk that completes an event's message reaches its socket handler, so it includes
// this process's own event-loop delay, which is reported too (50 clients parse 50,000 events/s).
//
//   node_modules/.bin/node bench/serve-stream.ts [--seconds S] [--clients N]
//   (default seconds: VIABLE_BENCH_P5_SECONDS, else 30)

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { WriterReport } from "./serve-stream-writer.ts";
import { benchEnv, makeBenchProject, NODE, round, VIABLE_BIN } from "./support.ts";

export interface ServeStreamOptions {
  /** How long the writer commits. Default VIABLE_BENCH_P5_SECONDS, else 30. */
  seconds?: number;
  /** SSE clients connected. Default 50. */
  clients?: number;
  print?: boolean;
}

/** A distribution in ms: nearest-rank percentiles. */
export interface Dist {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface ServeStreamResult {
  bench: "serve-stream";
  seconds: number;
  clients: number;
  /** What the writer committed, and the rate it achieved (target 1,000 events/s). */
  commits: number;
  eventsCommitted: number;
  eventsPerSecond: number;
  /** Commits that started more than 10 ms after their deadline, and the worst lag (ms). */
  writerLateCommits: number;
  writerMaxLagMs: number;
  /** Expected events a client never received, over all clients; per client; clients with any. */
  lost: number;
  lostPerClient: number[];
  clientsWithLoss: number;
  /** Events a client received more than once, and ids the writer never committed, over all clients. */
  duplicates: number;
  unexpected: number;
  /** `resync` messages received, over all clients (the server gave up replaying to them). */
  resyncs: number;
  /** Streams that ended or failed before the benchmark closed them. */
  disconnects: number;
  /** Client 0 parses every event's data: ones whose JSON is not the LogEntry its SSE id names. */
  malformed: number;
  /** Commit resolved in the writer → event received by a client, over every client and event. */
  latencyMs: Dist;
  /** Highest and lowest of the per-client p99s. */
  clientP99Ms: { worst: number; best: number };
  /** Deliveries that took 100 ms or more. */
  deliveriesOver100Ms: number;
  /**
   * Receipts timed before the commit resolved: the writer descheduled between its COMMIT and its
   * clock reading (the server can read a commit as soon as it is in the WAL), or clock skew.
   */
  negativeLatencies: number;
  /** p99 latency of the events committed in each second of the run: whether the server falls behind. */
  p99BySecondMs: number[];
  /** The reference: one `journal.commit` of 10 events, from call to resolve, in the writer. */
  commitMs: Dist;
  /** latency / commit, at p50 and at p99. */
  ratio: { p50: number; p99: number };
  /** After the writer exited, until every client had the last event (or the wait gave up). */
  drainMs: number;
  server: {
    /** CPU time (user + system) from the writer's first commit until the stream drained. */
    cpuMs: number;
    windowMs: number;
    cpuPercentOfCore: number;
    rssMiB: { before: number; after: number; peakSampled: number; hwm: number };
    /** Per second of the window: CPU % of one core, and RSS at its end (MiB). */
    bySecond: { cpuPercent: number[]; rssMiB: number[] };
  };
  writerCpuMs: number;
  /** This process (the 50 clients): CPU over the same window, and its event-loop delay. */
  clientsCpuMs: number;
  clientLoopDelayMs: { p50: number; p99: number; max: number };
  targets: { p99LatencyMs: number; lost: number; latencyMet: boolean; lostMet: boolean; met: boolean };
}

/** The writer's load: 10 events every 10 ms, 1,000 events/s. */
const EVENTS_PER_COMMIT = 10;
const COMMIT_PERIOD_MS = 10;
const P99_TARGET_MS = 100;
const DRAIN_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 30_000;
/** How often the server's RSS (and CPU time) is sampled during the run. */
const RSS_SAMPLE_MS = 500;
const WRITER = path.join(import.meta.dirname, "serve-stream-writer.ts");

const wallNow = () => performance.timeOrigin + performance.now();

export async function main(options: ServeStreamOptions = {}): Promise<ServeStreamResult> {
  const seconds = options.seconds ?? Number(process.env.VIABLE_BENCH_P5_SECONDS ?? 30);
  const clientCount = options.clients ?? 50;
  const print = options.print ?? true;
  const say = (line: string) => print && console.log(line);
  if (!(seconds > 0) || !(clientCount > 0)) throw new Error(`serve-stream: bad seconds (${seconds}) or clients (${clientCount})`);

  const project = makeBenchProject({ verify: ["true"], agentCommand: "true" });
  let server: ChildProcess | undefined;
  let writer: ChildProcess | undefined;
  const clients: SseClient[] = [];
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  let rssTimer: NodeJS.Timeout | undefined;
  try {
    say(`serve-stream: ${clientCount} SSE clients, a writer committing ${EVENTS_PER_COMMIT} events every ${COMMIT_PERIOD_MS} ms for ${seconds} s`);
    const srv = await startServe(project.dir);
    server = srv.child;
    const pid = server.pid!;
    const { port, token, projectId } = srv.info;

    const capacity = Math.ceil(seconds * 1000 * 1.1) + 1024;
    for (let i = 0; i < clientCount; i++) clients.push(new SseClient(i, capacity, i === 0));
    await Promise.all(clients.map((c) => c.connect(agent, port, token, projectId)));

    // Samples of the server, and of this process for comparison.
    const tick = clockTicks();
    let peakRss = 0;
    const sampleRss = () => {
      const kb = procStatusKb(pid, "VmRSS");
      peakRss = Math.max(peakRss, kb);
      return kb;
    };
    const samples: { at: number; cpuMs: number; rssKb: number }[] = [];
    const sample = () => samples.push({ at: performance.now(), cpuMs: procCpuMs(pid, tick), rssKb: sampleRss() });
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });

    const outFile = path.join(project.dir, "writer-report.json");
    const w = spawn(NODE, [WRITER, "--dir", project.dir, "--seconds", String(seconds), "--out", outFile,
      "--per-commit", String(EVENTS_PER_COMMIT), "--period-ms", String(COMMIT_PERIOD_MS)], { cwd: project.dir, env: benchEnv(), stdio: ["ignore", "pipe", "pipe"] });
    writer = w;
    let writerErr = "";
    w.stderr.setEncoding("utf8").on("data", (d: string) => (writerErr += d));
    const exited = new Promise<number | null>((resolve, reject) => {
      w.once("error", reject);
      w.once("exit", (code) => resolve(code));
    });
    // The window starts when the writer's first commit is about to start (its one stdout line).
    await withTimeout(Promise.race([
      firstLine(w.stdout),
      exited.then((code) => Promise.reject(new Error(`the writer exited (${code}) before it started\n${writerErr}`))),
    ]), START_TIMEOUT_MS, () => `the writer did not start in ${START_TIMEOUT_MS / 1000} s\n${writerErr}`);
    sample();
    const { rssKb: rssBefore, cpuMs: cpuBefore, at: windowStart } = samples[0]!;
    const selfCpuBefore = process.cpuUsage();
    loopDelay.enable();
    rssTimer = setInterval(sample, RSS_SAMPLE_MS);

    const writerCode = await withTimeout(exited, seconds * 1000 + 120_000, () => `the writer did not finish in time\n${writerErr}`);
    if (writerCode !== 0) throw new Error(`the writer exited ${writerCode}\n${writerErr}`);
    const report = JSON.parse(fs.readFileSync(outFile, "utf8")) as WriterReport;
    const lastSeq = report.seqs.reduce((a, b) => Math.max(a, b), 0);

    const drainStart = performance.now();
    while (performance.now() - drainStart < DRAIN_TIMEOUT_MS && !clients.every((c) => c.has(lastSeq) || c.ended)) await sleep(20);
    const drainMs = performance.now() - drainStart;
    loopDelay.disable();
    clearInterval(rssTimer);
    rssTimer = undefined;
    sample();
    const selfCpu = process.cpuUsage(selfCpuBefore);
    const { rssKb: rssAfter, cpuMs: cpuAfter, at: windowEnd } = samples.at(-1)!;
    const windowMs = windowEnd - windowStart;
    const cpuMs = cpuAfter - cpuBefore;
    const hwm = procStatusKb(pid, "VmHWM");
    const perSecond = { cpuPercent: [] as number[], rssMiB: [] as number[] };
    for (let i = 2; i < samples.length; i += 2) {
      const [a, b] = [samples[i - 2]!, samples[i]!];
      perSecond.cpuPercent.push(round(((b.cpuMs - a.cpuMs) / (b.at - a.at)) * 100, 0));
      perSecond.rssMiB.push(round(b.rssKb / 1024, 0));
    }

    // Every client's receipts against what the writer committed.
    const expected = new Set(report.seqs);
    const committedAt = new Float64Array(lastSeq + 1);
    for (let i = 0; i < report.seqs.length; i++) committedAt[report.seqs[i]!] = report.committedAt[i]!;
    const all = new Float64Array(report.seqs.length * clientCount);
    let n = 0;
    const lostPerClient: number[] = [];
    const clientP99s: number[] = [];
    let over100 = 0;
    let negative = 0;
    const t0 = report.commitStart[0] ?? 0;
    const secondOf = (seq: number) => Math.min(Math.floor((committedAt[seq]! - t0) / 1000), Math.ceil(seconds) - 1);
    const bySecond = Array.from({ length: Math.ceil(seconds) }, () => [] as number[]);
    for (const c of clients) {
      let lost = 0;
      const mine = new Float64Array(report.seqs.length);
      let m = 0;
      for (const seq of report.seqs) {
        const at = c.receivedAt(seq);
        if (at === 0) {
          lost++;
          continue;
        }
        const latency = at - committedAt[seq]!;
        if (latency >= 100) over100++;
        else if (latency < 0) negative++;
        bySecond[secondOf(seq)]!.push(latency);
        mine[m++] = latency;
        all[n++] = latency;
      }
      lostPerClient.push(lost);
      clientP99s.push(dist(mine.subarray(0, m)).p99);
    }
    const unexpected = clients.reduce((s, c) => s + c.receivedIds().filter((id) => !expected.has(id)).length, 0);
    const latencyMs = dist(all.subarray(0, n));
    const commitMs = dist(Float64Array.from(report.commitMs));
    const lost = lostPerClient.reduce((a, b) => a + b, 0);
    const mib = (kb: number) => round(kb / 1024);
    const result: ServeStreamResult = {
      bench: "serve-stream",
      seconds,
      clients: clientCount,
      commits: report.commits,
      eventsCommitted: report.events,
      eventsPerSecond: round(report.events / (report.elapsedMs / 1000), 0),
      writerLateCommits: report.lateCommits,
      writerMaxLagMs: round(report.maxLagMs),
      lost,
      lostPerClient,
      clientsWithLoss: lostPerClient.filter((l) => l > 0).length,
      duplicates: clients.reduce((s, c) => s + c.duplicates, 0),
      unexpected,
      resyncs: clients.reduce((s, c) => s + c.resyncs, 0),
      disconnects: clients.filter((c) => c.ended).length,
      malformed: clients.reduce((s, c) => s + c.malformed, 0),
      latencyMs,
      clientP99Ms: { worst: round(Math.max(...clientP99s), 2), best: round(Math.min(...clientP99s), 2) },
      deliveriesOver100Ms: over100,
      negativeLatencies: negative,
      p99BySecondMs: bySecond.map((l) => round(dist(Float64Array.from(l)).p99, 0)),
      commitMs,
      ratio: { p50: round(latencyMs.p50 / commitMs.p50, 1), p99: round(latencyMs.p99 / commitMs.p99, 1) },
      drainMs: round(drainMs),
      server: {
        cpuMs: round(cpuMs, 0),
        windowMs: round(windowMs, 0),
        cpuPercentOfCore: round((cpuMs / windowMs) * 100),
        rssMiB: { before: mib(rssBefore), after: mib(rssAfter), peakSampled: mib(peakRss), hwm: mib(hwm) },
        bySecond: perSecond,
      },
      writerCpuMs: round(report.cpuMs, 0),
      clientsCpuMs: round((selfCpu.user + selfCpu.system) / 1000, 0),
      clientLoopDelayMs: {
        p50: round(loopDelay.percentile(50) / 1e6, 2), p99: round(loopDelay.percentile(99) / 1e6, 2), max: round(loopDelay.max / 1e6, 2),
      },
      targets: { p99LatencyMs: P99_TARGET_MS, lost: 0, latencyMet: latencyMs.p99 < P99_TARGET_MS, lostMet: lost === 0, met: false },
    };
    result.targets.met = result.targets.latencyMet && result.targets.lostMet;
    if (print) printReport(result);
    return result;
  } finally {
    if (rssTimer) clearInterval(rssTimer);
    for (const c of clients) c.close();
    agent.destroy();
    if (writer && writer.exitCode === null && writer.signalCode === null) writer.kill("SIGKILL");
    if (server) await stopServer(server);
    project.cleanup();
  }
}

function printReport(r: ServeStreamResult): void {
  const d = (x: Dist) => `p50 ${x.p50} ms, p90 ${x.p90} ms, p99 ${x.p99} ms, max ${x.max} ms (min ${x.min}, n=${x.n})`;
  const yes = (ok: boolean) => (ok ? "met" : "NOT MET");
  console.log(`  writer                 ${r.eventsCommitted} events in ${r.commits} commits, ${r.eventsPerSecond} events/s; ${r.writerLateCommits} commits late by more than ${COMMIT_PERIOD_MS} ms (worst ${r.writerMaxLagMs} ms)`);
  console.log(`  journal.commit         ${d(r.commitMs)}   (reference)`);
  console.log(`  commit → client        ${d(r.latencyMs)}`);
  console.log(`                         per-client p99 from ${r.clientP99Ms.best} to ${r.clientP99Ms.worst} ms; ${r.deliveriesOver100Ms} deliveries took 100 ms or more, ${r.negativeLatencies} were received before the commit resolved`);
  console.log(`                         p99 by second of the run: ${r.p99BySecondMs.join(" ")} ms`);
  console.log(`  ratio to commit        p50 ×${r.ratio.p50}, p99 ×${r.ratio.p99}`);
  console.log(`  delivery               lost ${r.lost} (clients with loss: ${r.clientsWithLoss}/${r.clients}), duplicates ${r.duplicates}, unexpected ids ${r.unexpected}, resyncs ${r.resyncs}, disconnects ${r.disconnects}, malformed ${r.malformed}; drained ${r.drainMs} ms after the writer exited`);
  console.log(`  server                 CPU ${r.server.cpuMs} ms over ${r.server.windowMs} ms = ${r.server.cpuPercentOfCore}% of one core; RSS ${r.server.rssMiB.before} MiB before, ${r.server.rssMiB.after} after, peak ${r.server.rssMiB.peakSampled} sampled (VmHWM ${r.server.rssMiB.hwm})`);
  console.log(`                         by second: CPU % ${r.server.bySecond.cpuPercent.join(" ")}`);
  console.log(`                                    RSS MiB ${r.server.bySecond.rssMiB.join(" ")}`);
  console.log(`  others                 writer CPU ${r.writerCpuMs} ms; clients' process CPU ${r.clientsCpuMs} ms, event-loop delay p50 ${r.clientLoopDelayMs.p50} ms, p99 ${r.clientLoopDelayMs.p99} ms, max ${r.clientLoopDelayMs.max} ms`);
  console.log(`  targets                p99 < ${r.targets.p99LatencyMs} ms: ${yes(r.targets.latencyMet)}; lost = 0: ${yes(r.targets.lostMet)}`);
}

/** Nearest-rank percentiles of the samples (sorted in place). */
function dist(samples: Float64Array): Dist {
  samples.sort();
  const at = (p: number) => {
    if (samples.length === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * samples.length);
    return samples[Math.min(samples.length, Math.max(1, rank)) - 1]!;
  };
  const r = (x: number) => round(x, 2);
  return { n: samples.length, min: r(at(0)), p50: r(at(50)), p90: r(at(90)), p99: r(at(99)), max: r(at(100)) };
}

interface ServeInfo {
  port: number;
  token: string;
  projectId: string;
}

/** `viable serve DIR --port 0 --json` in its own process; resolves with the line it prints. */
async function startServe(dir: string): Promise<{ child: ChildProcess; info: ServeInfo }> {
  const child = spawn(NODE, [VIABLE_BIN, "serve", dir, "--host", "127.0.0.1", "--port", "0", "--json"], { cwd: dir, env: benchEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  try {
    const line = await withTimeout(Promise.race([
      firstLine(child.stdout),
      new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`viable serve exited ${code}\n${stderr}`)))),
    ]), START_TIMEOUT_MS, () => `viable serve printed nothing in ${START_TIMEOUT_MS / 1000} s\n${stderr}`);
    const j = JSON.parse(line) as { login_url: string; port: number; projects: { id: string; root: string }[] };
    const token = new URL(j.login_url).searchParams.get("token");
    const projectId = j.projects[0]?.id;
    if (!token || projectId === undefined) throw new Error(`unexpected output of viable serve: ${line}`);
    return { child, info: { port: j.port, token, projectId } };
  } catch (e) {
    await stopServer(child);
    throw e;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** The promise, or a rejection once `ms` passed (the timer does not outlive it). */
async function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    stream.setEncoding("utf8");
    const onData = (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        stream.off("data", onData);
        resolve(buf.slice(0, nl));
      }
    };
    stream.on("data", onData);
    stream.once("error", reject);
  });
}

/** One follower of the stream: a small SSE parser recording when each event id arrived. */
class SseClient {
  readonly #index: number;
  readonly #checkData: boolean;
  #received: Float64Array;
  #req: http.ClientRequest | undefined;
  #buf = "";
  #event = "";
  #id = "";
  #data: string | undefined;
  #closing = false;
  duplicates = 0;
  resyncs = 0;
  malformed = 0;
  ended = false;

  constructor(index: number, capacity: number, checkData: boolean) {
    this.#index = index;
    this.#received = new Float64Array(capacity);
    this.#checkData = checkData;
  }

  /** Resolves once the server answered 200 with an event stream. */
  connect(agent: http.Agent, port: number, token: string, projectId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = http.get({
        host: "127.0.0.1", port, agent, path: `/api/projects/${encodeURIComponent(projectId)}/stream`,
        headers: { Authorization: `Bearer ${token}`, Host: `127.0.0.1:${port}`, Accept: "text/event-stream" },
      }, (res) => {
        if (res.statusCode !== 200) {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => (body += d));
          res.once("end", () => reject(new Error(`client ${this.#index}: HTTP ${res.statusCode}: ${body}`)));
          return;
        }
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => this.#chunk(chunk, wallNow()));
        const ended = () => {
          if (!this.#closing) this.ended = true;
        };
        res.once("end", ended);
        res.once("error", ended);
        resolve();
      });
      req.once("error", (e) => {
        if (!this.#closing) this.ended = true;
        reject(e);
      });
      req.setTimeout(START_TIMEOUT_MS, () => req.destroy(new Error(`client ${this.#index}: no answer in ${START_TIMEOUT_MS / 1000} s`)));
      this.#req = req;
    }).then(() => {
      this.#req?.setTimeout(0);
    });
  }

  has(seq: number): boolean {
    return seq < this.#received.length && this.#received[seq] !== 0;
  }

  /** When the event with this id arrived (wall-clock ms), or 0. */
  receivedAt(seq: number): number {
    return seq < this.#received.length ? this.#received[seq]! : 0;
  }

  receivedIds(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < this.#received.length; i++) if (this.#received[i] !== 0) ids.push(i);
    return ids;
  }

  close(): void {
    this.#closing = true;
    this.#req?.destroy();
  }

  #chunk(chunk: string, at: number): void {
    const buf = this.#buf + chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf("\n", start);
      if (nl < 0) break;
      let line = buf.slice(start, nl);
      start = nl + 1;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") {
        this.#dispatch(at);
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.#event = value;
      else if (field === "id") this.#id = value;
      else if (field === "data") this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    }
    this.#buf = buf.slice(start);
  }

  #dispatch(at: number): void {
    const event = this.#event || "message";
    const id = this.#id;
    const data = this.#data;
    // By the spec an id carries over to later messages; here only journal events have one, and one
    // without its own id is counted as malformed rather than given the previous one's.
    this.#event = "";
    this.#id = "";
    this.#data = undefined;
    if (event === "resync") {
      this.resyncs++;
      return;
    }
    if (event !== "event") return;
    const seq = Number(id);
    if (!Number.isInteger(seq) || seq <= 0) {
      this.malformed++;
      return;
    }
    if (this.#checkData) {
      try {
        const e = JSON.parse(data ?? "") as { id?: unknown; event_type?: unknown };
        if (e.id !== seq || typeof e.event_type !== "string") this.malformed++;
      } catch {
        this.malformed++;
      }
    }
    if (seq >= this.#received.length) {
      const bigger = new Float64Array(Math.max(seq + 1, this.#received.length * 2));
      bigger.set(this.#received);
      this.#received = bigger;
    }
    if (this.#received[seq] !== 0) this.duplicates++;
    else this.#received[seq] = at;
  }
}

/** Linux: the kernel's clock ticks per second, in which /proc/<pid>/stat counts CPU time. */
function clockTicks(): number {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** A process's CPU time so far (user + system), in ms, from /proc/<pid>/stat. */
function procCpuMs(pid: number, ticksPerSecond: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based); comm may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM), or 0 when the process is gone. */
function procStatusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { seconds: { type: "string" }, clients: { type: "string" } } });
  const result = await main({
    ...(values.seconds === undefined ? {} : { seconds: Number(values.seconds) }),
    ...(values.clients === undefined ? {} : { clients: Number(values.clients) }),
  });
  console.log(JSON.stringify(result));
}
