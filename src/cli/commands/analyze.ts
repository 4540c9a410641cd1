// `viable analyze "<text>"`: the S3 complexity analysis alone, with the project's metrics and rules.

import { analyze, getAgentRecommendation } from "../../analysis/complexity.ts";
import { printJson, type Output } from "../output.ts";
import { openProject } from "../project-context.ts";

export async function analyzeCommand(args: { text: string; dir: string; hint?: string; json: boolean }, o: Output): Promise<number> {
  const ctx = await openProject(args.dir, { writer: false, command: "analyze" });
  try {
    const metrics = ctx.store.metrics();
    const { keywords, domains } = ctx.config.complexity;
    const assessment = analyze(args.text, {
      ...(args.hint !== undefined ? { hint: args.hint } : {}),
      metrics,
      custom: { ...(keywords ? { keywords } : {}), ...(domains ? { domains } : {}) },
    });
    if (args.json) {
      printJson(o, { ...assessment, recommendation: getAgentRecommendation(assessment) });
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
  } finally {
    ctx.store.close();
  }
}
