// Plan layer at scale: a 100,000-item layered random DAG in a feature_list.json, then import,
// validate, build the scheduler, and drain it as if every item passed at once. Targets: under 1 s
// and under 250 MiB resident. The reference is JSON.parse of the same file in the same run, so the
// ratio stays meaningful on a slower or busier machine.
//
//   node_modules/.bin/node bench/plan-scale.ts [--items N] [--seed S] [--runs R] [--semi-space MiB]

import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { prng } from "./support.ts";

export interface PlanScaleOptions {
  items?: number;
  seed?: number;
  /** Fresh-process runs; each figure reported is the median over them. Default 3. */
  runs?: number;
  /**
   * V8's young-generation semi-space limit for both measuring processes, in MiB. Default: V8's
   * own, which lets the young generation grow to ~134 MiB while a large file is parsed — most of
   * the difference between this pipeline's peak RSS and JSON.parse's. Reported in the result.
   */
  semiSpaceMiB?: number;
  /** Print the summary and the final JSON line. Default true. */
  print?: boolean;
}

/** Figures are medians over `runs` fresh processes. */
export interface PlanScaleResult {
  bench: "plan-scale";
  runs: number;
  /** V8 flags of the measuring processes; none means V8's defaults. */
  v8Flags: string[];
  items: number;
  edges: number;
  fileMiB: number;
  readMs: number;
  importMs: number;
  validateMs: number;
  schedulerMs: number;
  drainMs: number;
  /** import + validate + scheduler + drain. */
  totalMs: number;
  /** JSON.parse of the same text: the reference. */
  jsonParseMs: number;
  /** totalMs / jsonParseMs. */
  ratioToJsonParse: number;
  /** RSS of the measuring process with its modules loaded (Node, type stripping, zod). */
  baselineRssMiB: number;
  /** Peak resident set size of the measuring process, in MiB. */
  peakRssMiB: number;
  /** The highest peak over the runs: when V8 resizes its young generation varies from run to run. */
  peakRssMaxMiB: number;
  /** Peak RSS of an identical process that only reads and JSON.parses the file. */
  referencePeakRssMiB: number;
  targets: { totalMs: number; peakRssMiB: number; met: boolean };
}

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL("./plan-scale-child.mjs", import.meta.url));

const LAYERS = 100;
const MAX_DEPS = 6;
/** Dependencies reach back at most this many layers: long chains, as real plans have. */
const REACH = 4;
const WORDS = ["parser", "config", "cache", "report", "export", "index", "search", "queue", "retry", "view", "form", "list", "sync", "user", "billing", "upload", "theme", "layout"];
const CATEGORIES = ["core", "ui", "backend", "infra", "qa"];


const featureId = (i: number) => `feature-${String(i).padStart(6, "0")}`;

/**
 * Writes the file feature by feature, so that generating it does not itself raise the peak RSS
 * being measured. One feature per line: at this size the file is machine-written, and indentation
 * would only add whitespace that JSON.parse (the reference) skips as well.
 */
export function generateFeatureList(path: string, n: number, seed: number): number {
  const random = prng(seed);
  const perLayer = Math.ceil(n / LAYERS);
  const fd = openSync(path, "w");
  let edges = 0;
  let chunk = '{"features": [\n';
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / perLayer);
    const deps = new Set<string>();
    if (layer > 0) {
      const count = Math.floor(random() * (MAX_DEPS + 1));
      for (let k = 0; k < count; k++) {
        const from = Math.max(0, layer - REACH) + Math.floor(random() * Math.min(REACH, layer));
        deps.add(featureId(from * perLayer + Math.floor(random() * perLayer)));
      }
    }
    edges += deps.size;
    const w = (k: number) => WORDS[Math.floor(random() * WORDS.length) + k * 0] as string;
    const feature = {
      id: featureId(i),
      name: `${w(0)} ${w(1)} ${i}`,
      description: `Implement the ${w(0)} ${w(1)} flow for the ${w(2)} module, with tests for the ${w(3)} path.`,
      category: CATEGORIES[Math.floor(random() * CATEGORIES.length)] as string,
      priority: 1 + Math.floor(random() * 5),
      passes: false,
      blocked: false,
      dependencies: [...deps],
      tests: [`${w(0)} works`, `${w(1)} handles errors`],
    };
    chunk += `${JSON.stringify(feature)}${i === n - 1 ? "\n" : ",\n"}`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, `${chunk}]}\n`);
  closeSync(fd);
  return edges;
}


function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Memory figures are in MiB; `maxRSS` comes in KiB. */

interface Measured {
  fileMiB: number;
  readMs: number;
  importMs: number;
  validateMs: number;
  schedulerMs: number;
  drainMs: number;
  /** RSS once the modules are loaded, before the file is read. */
  baselineRssMiB: number;
  peakRssMiB: number;
}

interface Reference {
  jsonParseMs: number;
  peakRssMiB: number;
}

/**
 * Each measurement runs in a fresh Node process, so that the peak RSS is the pipeline's and not
 * whatever the calling bench runner held before. Both modes run the same compiled child
 * (plan-scale-child.mjs over dist/), so both have the same modules loaded and the same baseline.
 */
async function inChild<T>(mode: "--measure" | "--reference", file: string, v8Flags: readonly string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [...v8Flags, CHILD, mode, file], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}

export async function main(options: PlanScaleOptions = {}): Promise<PlanScaleResult> {
  const n = options.items ?? 100_000;
  const seed = options.seed ?? 4;
  const print = options.print ?? true;
  const runs = Math.max(1, options.runs ?? 3);
  const v8Flags = options.semiSpaceMiB === undefined ? [] : [`--max-semi-space-size=${options.semiSpaceMiB}`];
  const dir = mkdtempSync(join(tmpdir(), "viable-plan-scale-"));
  try {
    const file = join(dir, "feature_list.json");
    const edges = generateFeatureList(file, n, seed);
    // Measurement and reference alternate, so a busy machine slows both alike; medians per metric.
    const measured: Measured[] = [];
    const refs: Reference[] = [];
    for (let r = 0; r < runs; r++) {
      measured.push(await inChild<Measured>("--measure", file, v8Flags));
      refs.push(await inChild<Reference>("--reference", file, v8Flags));
    }
    const med = <T>(list: T[], f: (x: T) => number) => median(list.map(f));
    const m: Measured = {
      fileMiB: med(measured, (x) => x.fileMiB),
      readMs: med(measured, (x) => x.readMs),
      importMs: med(measured, (x) => x.importMs),
      validateMs: med(measured, (x) => x.validateMs),
      schedulerMs: med(measured, (x) => x.schedulerMs),
      drainMs: med(measured, (x) => x.drainMs),
      baselineRssMiB: med(measured, (x) => x.baselineRssMiB),
      peakRssMiB: med(measured, (x) => x.peakRssMiB),
    };
    const ref: Reference = { jsonParseMs: med(refs, (x) => x.jsonParseMs), peakRssMiB: med(refs, (x) => x.peakRssMiB) };

    const totalMs = med(measured, (x) => x.importMs + x.validateMs + x.schedulerMs + x.drainMs);
    const round = (x: number) => Math.round(x * 10) / 10;
    const result: PlanScaleResult = {
      bench: "plan-scale",
      runs,
      v8Flags,
      items: n,
      edges,
      fileMiB: round(m.fileMiB),
      readMs: round(m.readMs),
      importMs: round(m.importMs),
      validateMs: round(m.validateMs),
      schedulerMs: round(m.schedulerMs),
      drainMs: round(m.drainMs),
      totalMs: round(totalMs),
      jsonParseMs: round(ref.jsonParseMs),
      ratioToJsonParse: round(totalMs / ref.jsonParseMs),
      baselineRssMiB: round(m.baselineRssMiB),
      peakRssMiB: round(m.peakRssMiB),
      peakRssMaxMiB: round(Math.max(...measured.map((x) => x.peakRssMiB))),
      referencePeakRssMiB: round(ref.peakRssMiB),
      targets: { totalMs: 1000, peakRssMiB: 250, met: totalMs < 1000 && m.peakRssMiB < 250 },
    };
    if (print) {
      console.log(
        `plan-scale: ${n} items, ${edges} edges, ${result.fileMiB} MiB feature_list.json; medians of ${runs} runs` +
          (v8Flags.length > 0 ? ` with ${v8Flags.join(" ")}` : ""),
      );
      console.log(
        `  import ${result.importMs} ms, validate ${result.validateMs} ms, scheduler ${result.schedulerMs} ms, drain ${result.drainMs} ms` +
          ` = ${result.totalMs} ms (target < 1000); JSON.parse alone ${result.jsonParseMs} ms (×${result.ratioToJsonParse})`,
      );
      console.log(
        `  peak RSS ${result.peakRssMiB} MiB, highest ${result.peakRssMaxMiB} MiB (target < 250); process baseline ${result.baselineRssMiB} MiB;` +
          ` read + JSON.parse alone peaks at ${result.referencePeakRssMiB} MiB`,
      );
      console.log(JSON.stringify(result));
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      items: { type: "string" },
      seed: { type: "string" },
      runs: { type: "string" },
      "semi-space": { type: "string" },
      measure: { type: "boolean" },
      reference: { type: "boolean" },
    },
  });
  const file = positionals[0];
  if ((values.measure || values.reference) && file !== undefined) {
    const { stdout } = await run(process.execPath, [CHILD, values.measure ? "--measure" : "--reference", file]);
    process.stdout.write(stdout);
  } else {
    await main({
      ...(values.items === undefined ? {} : { items: Number(values.items) }),
      ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
      ...(values.runs === undefined ? {} : { runs: Number(values.runs) }),
      ...(values["semi-space"] === undefined ? {} : { semiSpaceMiB: Number(values["semi-space"]) }),
    });
  }
}
