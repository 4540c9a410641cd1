// Rules for what agents may do, in Claude Code's own syntax ("Read", "Bash(npm test:*)"), and the
// broker that answers an agent's tool request the rules leave open ("ask"): a person decides, or
// nobody in time and it is denied with a reason the agent sees.

export interface PermissionRules {
  allow: string[];
  deny: string[];
  ask: string[];
}

/** One tool request an agent CLI brought to Viable. */
export interface ToolRequest {
  tool: string;
  input: Record<string, unknown>;
  /** The CLI's own words for it, and why it asks. */
  description?: string;
  reason?: string;
  toolUseId?: string;
}

export type ToolDecision = { allow: true; input: Record<string, unknown> } | { allow: false; message: string };

/** A yes/no question to the person at a terminal; true: yes. */
export type YesNoPrompt = (question: string, signal: AbortSignal) => Promise<boolean>;

/** What a person does with an agent's question about an item: answer it (the item runs again), block it, or leave it waiting. */
export type ItemQuestionAnswer = { kind: "answer"; text: string } | { kind: "block" } | { kind: "wait" };
export type ItemQuestionPrompt = (q: { item: string; question: string }, signal: AbortSignal) => Promise<ItemQuestionAnswer>;

export interface PermissionBroker {
  readonly rules: PermissionRules;
  decide(request: ToolRequest, signal: AbortSignal): Promise<ToolDecision>;
}
