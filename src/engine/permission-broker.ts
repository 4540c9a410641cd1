// The permission broker (config `permissions`): an agent CLI applies the project's allow and deny
// rules itself and brings every other tool request here. Such a request is an S5 question to a
// person — recorded as an approval the dashboard's inbox and MCP's `answer` show — and waits for
// the first answer, `ask_timeout` seconds at most: from the terminal running the agents, when there
// is one, or from elsewhere. With nobody to ask (no terminal, nobody watching the project), or
// nobody answering in time, it is denied, and the agent is told why and what would allow it. Every
// decision is logged with the request, the decision and who made it.

import type { PermissionBroker, PermissionRules, ToolDecision, ToolRequest, YesNoPrompt } from "../domain/permissions.ts";
import type { Store } from "../store/store.ts";
import { requestApproval, type ApprovalAnswer } from "./approval-wait.ts";
import { askPerson } from "./s5-policy.ts";


/** What an attempt's broker knows about the attempt. */
export interface BrokerContext {
  taskId: string;
  itemId: string | null;
  agent: string;
  attemptId: string;
}

const MAX_INPUT_CHARS = 400;

/** The request in a line a person reads: the command of a Bash call, the path of an edit. */
export function describeRequest(r: ToolRequest): string {
  const i = r.input;
  const detail = typeof i.command === "string" ? i.command : typeof i.file_path === "string" ? i.file_path : typeof i.url === "string" ? i.url : JSON.stringify(i);
  return `${r.tool}: ${detail.length > MAX_INPUT_CHARS ? `${detail.slice(0, MAX_INPUT_CHARS - 1)}…` : detail}`;
}

export function permissionBroker(store: Store, rules: PermissionRules, askTimeoutSeconds: number, ctx: BrokerContext, terminal?: YesNoPrompt): PermissionBroker {
  return {
    rules,
    decide: async (r: ToolRequest, signal: AbortSignal): Promise<ToolDecision> => {
      const what = describeRequest(r);
      const question = `Agent ${ctx.agent} asks to use ${what}`;
      const pending = await requestApproval(store, {
        taskId: ctx.taskId, itemId: ctx.itemId, subject: "tool_use", question,
        data: { attempt_id: ctx.attemptId, tool: r.tool, ...(r.reason !== undefined ? { reason: r.reason } : {}), timeout_s: askTimeoutSeconds, at_terminal: terminal !== undefined },
      });
      const someone = terminal !== undefined || pending.watchers.length > 0;
      let answer: ApprovalAnswer | null = null;
      let failed = null as string | null; // set in a callback: kept wide for the checks below
      // The time limit holds for the terminal too: an unattended terminal must not hold an agent forever.
      const timeUp = AbortSignal.timeout(askTimeoutSeconds * 1000);
      try {
        if (someone) {
          answer = await askPerson({
            terminal: terminal ? async (s) => pending.answer(await terminal(`${question}. Allow it?`, s), "terminal") : undefined,
            remote: pending.watchers.length > 0 ? (s) => pending.remote(s, undefined) : undefined,
            signal: AbortSignal.any([signal, timeUp]),
          }).catch((e: unknown) => {
            // The time ran out (the prompt and the wait were withdrawn): nobody answered.
            if (timeUp.aborted && !signal.aborted) return null;
            // The attempt is ending (Ctrl-C, a stop): nothing to decide.
            if (signal.aborted) throw e;
            // The question could not be asked (the terminal went away): a denial, logged like any.
            failed = e instanceof Error ? e.message : String(e);
            return null;
          });
        }
      } finally {
        await pending.close(signal.aborted ? "stopped" : someone ? "timeout" : "nobody watching").catch(() => undefined);
      }
      const by = answer?.by ?? (failed !== null ? "error" : someone ? "timeout" : "nobody watching");
      const decision: ToolDecision = answer?.approved
        ? { allow: true, input: r.input }
        : {
          allow: false,
          message: answer
            ? `Denied by a person (${answer.by}) through Viable. Do not retry this; find another way or stop and explain what you needed.`
            : failed !== null
              ? `Denied by Viable: the person could not be asked (${failed}). Find another way, or stop and say what you needed.`
            : someone
              ? `Denied by Viable: nobody answered within ${askTimeoutSeconds}s (permissions.ask_timeout). Find another way, or stop and say what you needed.`
              : "Denied by Viable: this needs a person's approval and nobody is watching the project (no `viable serve` or MCP session). Find another way, or stop and say what you needed; the project's owner can allow it in permissions.allow.",
        };
      await store.journal.commit({
        event: {
          event_type: "permission_decided", task_id: ctx.taskId, agent: `s1-${ctx.agent}`,
          data: { attempt_id: ctx.attemptId, item_id: ctx.itemId, approval_id: pending.id, tool: r.tool, request: what, decision: decision.allow ? "allow" : "deny", by },
        },
      });
      return decision;
    },
  };
}
