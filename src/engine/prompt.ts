// What an agent is told. The task comes first and verbatim; role, focus and what earlier agents and
// the audit reported follow, so a retry or a second agent starts from what is already known.

import type { AgentDefinition } from "../domain/agent.ts";

export interface PromptInput {
  task: string;
  agent: AgentDefinition;
  role: string;
  focus: string;
  /** Summaries of agents that ran before this one in the cycle. */
  previous: { agent: string; success: boolean; summary: string }[];
  /** Why the last audit failed, on a correction iteration. */
  auditFeedback?: string;
  /** Acceptance criteria (plan items). */
  acceptance?: string[];
  /** The previous attempt stopped with a question, and a person answered it. */
  answered?: { question: string; answer: string | null; keptBranch?: string };
}

export function composePrompt(p: PromptInput): string {
  // S3's focus texts are sentences that end in a period already; a task used as the focus may not.
  const focus = /[.!?]$/.test(p.focus) ? p.focus : `${p.focus}.`;
  const parts = [`Task: ${p.task}`, `Your role: ${p.agent.name} (${p.role}). Focus: ${focus}`];
  if (p.acceptance && p.acceptance.length > 0) {
    parts.push(`Acceptance criteria:\n${p.acceptance.map((t) => `- ${t}`).join("\n")}`);
  }
  if (p.previous.length > 0) {
    parts.push(`Earlier in this cycle:\n${p.previous.map((r) => `- ${r.agent} ${r.success ? "succeeded" : "failed"}: ${r.summary}`).join("\n")}`);
  }
  if (p.answered) {
    const kept = p.answered.keptBranch ? `\nWhat it had done is on branch ${p.answered.keptBranch}; this is a fresh workspace, so reuse what is worth keeping.` : "";
    parts.push(`Your previous attempt stopped and asked: ${p.answered.question}\n${p.answered.answer ? `A person answered: ${p.answered.answer}` : "A person said to go on without an answer."}${kept}\nGo on with the task accordingly.`);
  } else if (p.auditFeedback) parts.push(`The previous attempt failed verification:\n${p.auditFeedback}\nFix the cause.`);
  return parts.join("\n\n");
}
