// Use case behind `viable analyze`: S3's complexity analysis alone, with the project's metrics and rules.

import { analyze, getAgentRecommendation, type AgentRecommendation, type ComplexityAssessment } from "../analysis/complexity.ts";
import type { Project } from "./project.ts";

export async function analyzeTask(project: Project, text: string, hint?: string): Promise<ComplexityAssessment & { recommendation: AgentRecommendation }> {
  const metrics = await project.store.queries.metrics();
  const { keywords, domains } = project.config.complexity;
  const assessment = analyze(text, {
    ...(hint !== undefined ? { hint } : {}),
    metrics,
    custom: { ...(keywords ? { keywords } : {}), ...(domains ? { domains } : {}) },
  });
  return { ...assessment, recommendation: getAgentRecommendation(assessment) };
}
