// The measured side of bench/plan-scale.ts, in plain JavaScript over the compiled dist/ — what
// `viable plan import` runs. (Run as TypeScript, Node's type stripper alone adds ~25 MiB of
// resident memory that no user pays.) Prints one JSON object.
//
//   node bench/plan-scale-child.mjs --measure|--reference FILE

import { readFileSync } from "node:fs";
import { importPlan } from "../dist/plan/import/import-plan.js";
import { Scheduler } from "../dist/plan/scheduler.js";
import { validatePlan } from "../dist/plan/validate.js";

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

function time(f) {
  const start = performance.now();
  const value = f();
  return [value, performance.now() - start];
}

function measure(file) {
  const baselineRssMiB = rssMiB();
  // One scope for the text and the parsed input, so they can be collected once no longer needed,
  // as they would be in the real loop.
  const phases = (() => {
    let [text, readMs] = time(() => readFileSync(file, "utf8"));
    const fileMiB = text.length / 2 ** 20;
    let [imported, importMs] = time(() => importPlan(text, file));
    // Like the real import, nothing keeps the file's text once the plan is built.
    text = undefined;
    const [validation, validateMs] = time(() => validatePlan(imported));
    if (!validation.ok) throw new Error(`generated plan is invalid: ${validation.problems[0]?.message ?? ""}`);
    const plan = imported.plan;
    // The locator (for error positions) is only needed while validating.
    imported = undefined;
    const [scheduler, schedulerMs] = time(() => new Scheduler(plan, { graph: validation.graph }));
    const [passed, drainMs] = time(() => {
      let count = 0;
      while (!scheduler.done()) {
        for (const id of scheduler.take()) {
          scheduler.markPassed(id);
          count++;
        }
      }
      return count;
    });
    if (passed !== plan.items.length) throw new Error(`drained ${passed} of ${plan.items.length} items`);
    return { fileMiB, readMs, importMs, validateMs, schedulerMs, drainMs };
  })();
  return { ...phases, baselineRssMiB, peakRssMiB: peakRssMiB() };
}

/** The reference: reading and JSON.parse of the same file, in an identical fresh process. */
function reference(file) {
  const parsed = (() => {
    const text = readFileSync(file, "utf8");
    const [data, jsonParseMs] = time(() => JSON.parse(text));
    return { jsonParseMs, ok: data !== undefined };
  })();
  return { jsonParseMs: parsed.jsonParseMs, peakRssMiB: peakRssMiB() };
}

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== "--measure" && mode !== "--reference")) {
  console.error("usage: node bench/plan-scale-child.mjs --measure|--reference FILE");
  process.exit(2);
}
console.log(JSON.stringify(mode === "--measure" ? measure(file) : reference(file)));
