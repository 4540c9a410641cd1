// The writer of the serve-stream benchmark (serve-stream.ts), in a process of its own as `viable
// loop` would be: it opens the project's store as the writer and, for the given time, commits 10
// events every 10 ms (1,000 events/s; both settable) on absolute deadlines, so a late commit is followed at once by
// the next one rather than pushing the schedule back. Every commit's start and end are recorded as
// wall-clock milliseconds with sub-millisecond precision (`performance.timeOrigin + now()`), which
// the benchmark compares with when its clients received each event.
//
//   node_modules/.bin/node bench/serve-stream-writer.ts --dir DIR --seconds S --out FILE [--per-commit N] [--period-ms MS]
//
// Prints one line `{"started": <ms>}` on stdout when the first commit is about to start, and writes
// FILE (WriterReport) when done.

import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { NewEvent } from "../src/domain/events.ts";
import { openStore } from "../src/store/store.ts";
import { projectPaths } from "../src/workspace/paths.ts";

export interface WriterReport {
  /** Every event's sequence number, and when the commit that holds it resolved (wall-clock ms). */
  seqs: number[];
  committedAt: number[];
  /** Per commit: when it started (wall-clock ms) and how long it took until it resolved (ms). */
  commitStart: number[];
  commitMs: number[];
  commits: number;
  events: number;
  /** Commits that started more than one period after their deadline, and the worst lag (ms). */
  lateCommits: number;
  maxLagMs: number;
  /** From the first commit's start to the last one's end. */
  elapsedMs: number;
  /** This process's CPU time over the run (user + system). */
  cpuMs: number;
}

const wallNow = () => performance.timeOrigin + performance.now();

async function run(dir: string, seconds: number, out: string, perCommit: number, periodMs: number): Promise<void> {
  const store = await openStore(projectPaths(dir), { writer: true, command: "bench" });
  try {
    const total = Math.round((seconds * 1000) / periodMs);
    const report: WriterReport = {
      seqs: [], committedAt: [], commitStart: [], commitMs: [], commits: 0, events: 0, lateCommits: 0, maxLagMs: 0, elapsedMs: 0, cpuMs: 0,
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    process.stdout.write(`${JSON.stringify({ started: performance.timeOrigin + t0 })}\n`);
    let i = 0;
    for (let k = 0; k < total; k++) {
      const deadline = t0 + k * periodMs;
      const wait = deadline - performance.now();
      if (wait > 0) await sleep(wait);
      const lag = performance.now() - deadline;
      if (lag > periodMs) report.lateCommits++;
      report.maxLagMs = Math.max(report.maxLagMs, lag);
      const events: NewEvent[] = [];
      for (let e = 0; e < perCommit; e++) events.push({ event_type: "loop_note", data: { i: i++ } });
      const start = wallNow();
      const logged = await store.journal.commit({ events });
      const end = wallNow();
      report.commitStart.push(start);
      report.commitMs.push(end - start);
      for (const entry of logged) {
        report.seqs.push(entry.id);
        report.committedAt.push(end);
      }
      report.commits++;
      report.events += logged.length;
    }
    report.elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    report.cpuMs = (cpu.user + cpu.system) / 1000;
    fs.writeFileSync(out, JSON.stringify(report));
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { dir: { type: "string" }, seconds: { type: "string" }, out: { type: "string" }, "per-commit": { type: "string", default: "10" }, "period-ms": { type: "string", default: "10" } },
  });
  if (values.dir === undefined || values.seconds === undefined || values.out === undefined) {
    console.error("usage: serve-stream-writer.ts --dir DIR --seconds S --out FILE [--per-commit N] [--period-ms MS]");
    process.exit(2);
  }
  await run(values.dir, Number(values.seconds), values.out, Number(values["per-commit"]), Number(values["period-ms"]));
}
