// `viable analyze "<text>"`: the S3 complexity analysis alone, with the project's metrics and rules.

import { analyzeTask } from "../../app/analyze.ts";
import { configWarnings, withProject } from "../../app/project.ts";
import { printJson, type Output } from "../output.ts";

export async function analyzeCommand(args: { text: string; dir: string; hint?: string; json: boolean }, o: Output): Promise<number> {
  for (const w of await configWarnings(args.dir)) o.err(`viable: ${w}`);
  const assessment = await withProject(args.dir, { writer: false, command: "analyze" }, (p) => analyzeTask(p, args.text, args.hint));
  if (args.json) {
    printJson(o, assessment);
    return 0;
  }
  o.out([
    `complexity: ${assessment.complexity} (confidence ${assessment.confidence.toFixed(2)})`,
    `rationale: ${assessment.rationale}`,
    `suggested agents: ${assessment.suggested_agents.join(", ")}`,
    `keywords: ${assessment.keywords_found.join(", ") || "-"}`,
    `domains: ${assessment.domain_signals.join(", ") || "-"}`,
    `scope: ${assessment.scope_estimate}`,
    `parallel possible: ${assessment.parallel_possible ? "yes" : "no"}`,
  ].join("\n"));
  return 0;
}
