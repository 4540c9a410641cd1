// OpenAI Responses API, as Codex calls it (`wire_api = "responses"`): POST /v1/responses with SSE.
// Codex declares apply_patch as a freeform "custom" tool; its calls are `custom_tool_call` items.

import { halves } from "./anthropic.ts";
import {
  asArray,
  isRecord,
  sseFrame,
  str,
  type Dialect,
  type IdSource,
  type IncomingRequest,
  type ResolvedReply,
  type Stream,
} from "./dialect.ts";

export const openaiResponses: Dialect = {
  name: "openai-responses",

  classify(req: IncomingRequest) {
    const p = req.url.pathname;
    if (req.method === "GET" && p === "/v1/models") {
      return { kind: "aux", purpose: "models", status: 200, json: { object: "list", data: [{ id: "scripted", object: "model", owned_by: "viable" }] } };
    }
    if (req.method !== "POST" || p !== "/v1/responses") return undefined;
    const body = isRecord(req.body) ? req.body : {};
    const offeredTools = asArray(body["tools"]).flatMap((t) => (isRecord(t) && typeof t["name"] === "string" ? [t["name"]] : []));
    return { kind: "turn", model: str(body["model"]) ?? "unknown", offeredTools };
  },

  stream(reply: ResolvedReply, ids: IdSource): Stream {
    const frames: string[] = [];
    const ev = (type: string, data: Record<string, unknown>): void => void frames.push(sseFrame({ type, ...data }, type));
    const responseId = ids.next("resp_");
    ev("response.created", { response: { id: responseId, object: "response", status: "in_progress", model: reply.model, output: [] } });
    let outputIndex = 0;
    let holdAfter = frames.length;
    if (reply.text !== undefined) {
      const id = ids.next("msg_");
      const done = { type: "message", id, role: "assistant", status: "completed", content: [{ type: "output_text", text: reply.text, annotations: [] }] };
      ev("response.output_item.added", { output_index: outputIndex, item: { ...done, status: "in_progress", content: [] } });
      for (const delta of halves(reply.text)) ev("response.output_text.delta", { output_index: outputIndex, content_index: 0, item_id: id, delta });
      holdAfter = frames.length - 1;
      ev("response.output_item.done", { output_index: outputIndex, item: done });
      outputIndex++;
    }
    for (const call of reply.toolCalls) {
      const callId = ids.next("call_");
      const item =
        call.kind === "custom"
          ? { type: "custom_tool_call", id: ids.next("ctc_"), call_id: callId, name: call.name, input: call.input, status: "completed" }
          : { type: "function_call", id: ids.next("fc_"), call_id: callId, name: call.name, arguments: JSON.stringify(call.input), status: "completed" };
      ev("response.output_item.added", { output_index: outputIndex, item: { ...item, status: "in_progress" } });
      ev("response.output_item.done", { output_index: outputIndex, item });
      outputIndex++;
    }
    ev("response.completed", {
      response: {
        id: responseId,
        object: "response",
        status: "completed",
        model: reply.model,
        usage: {
          input_tokens: reply.usage.inputTokens,
          input_tokens_details: { cached_tokens: reply.usage.cachedInputTokens },
          output_tokens: reply.usage.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: reply.usage.inputTokens + reply.usage.outputTokens,
        },
      },
    });
    return { frames, holdAfter };
  },

  errorBody(status: number, message: string) {
    return { error: { message, type: status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error", code: null, param: null } };
  },
};
