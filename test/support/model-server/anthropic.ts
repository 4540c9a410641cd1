// Anthropic Messages API, as Claude Code calls it: POST /v1/messages?beta=true with SSE streaming.

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

export const anthropic: Dialect = {
  name: "anthropic",

  classify(req: IncomingRequest) {
    const p = req.url.pathname;
    const body = isRecord(req.body) ? req.body : {};
    const model = str(body["model"]) ?? "unknown";
    if (req.method === "POST" && p === "/v1/messages/count_tokens") {
      return { kind: "aux", purpose: "count_tokens", status: 200, json: { input_tokens: 10 } };
    }
    if (req.method === "GET" && p === "/v1/models") {
      return { kind: "aux", purpose: "models", status: 200, json: { data: [{ type: "model", id: "claude-scripted", display_name: "Scripted" }], has_more: false } };
    }
    if (req.method !== "POST" || p !== "/v1/messages") return undefined;
    if (body["stream"] !== true) {
      // Claude asks small side questions (titles, topics) without streaming; they are not turns.
      return {
        kind: "aux",
        purpose: "non-streaming message",
        status: 200,
        json: {
          id: "msg_aux",
          type: "message",
          role: "assistant",
          model,
          content: [{ type: "text", text: "Scripted" }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      };
    }
    const offeredTools = asArray(body["tools"]).flatMap((t) => (isRecord(t) && typeof t["name"] === "string" ? [t["name"]] : []));
    return { kind: "turn", model, offeredTools };
  },

  stream(reply: ResolvedReply, ids: IdSource): Stream {
    const frames: string[] = [];
    const ev = (type: string, data: Record<string, unknown>): void => void frames.push(sseFrame({ type, ...data }, type));
    ev("message_start", {
      message: {
        id: ids.next("msg_"),
        type: "message",
        role: "assistant",
        model: reply.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: reply.usage.inputTokens, cache_read_input_tokens: reply.usage.cachedInputTokens, output_tokens: 1 },
      },
    });
    let index = 0;
    let holdAfter = frames.length;
    if (reply.text !== undefined) {
      ev("content_block_start", { index, content_block: { type: "text", text: "" } });
      for (const piece of halves(reply.text)) ev("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
      holdAfter = frames.length - 1;
      ev("content_block_stop", { index });
      index++;
    }
    for (const call of reply.toolCalls) {
      ev("content_block_start", { index, content_block: { type: "tool_use", id: ids.next("toolu_"), name: call.name, input: {} } });
      ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(call.input) } });
      ev("content_block_stop", { index });
      index++;
    }
    ev("message_delta", {
      delta: { stop_reason: reply.toolCalls.length > 0 ? "tool_use" : "end_turn", stop_sequence: null },
      usage: { output_tokens: reply.usage.outputTokens },
    });
    ev("message_stop", {});
    return { frames, holdAfter };
  },

  errorBody(status: number, message: string) {
    const type =
      status === 401 ? "authentication_error"
      : status === 403 ? "permission_error"
      : status === 404 ? "not_found_error"
      : status === 429 ? "rate_limit_error"
      : status === 529 ? "overloaded_error"
      : status >= 500 ? "api_error"
      : "invalid_request_error";
    return { type: "error", error: { type, message } };
  },
};

/** Two deltas, so a hold can pause between them with part of the answer already shown. */
export function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}
