// OpenAI chat completions, as Qwen Code and OpenCode call it: POST /v1/chat/completions with SSE,
// `tool_calls` deltas, a usage chunk (stream_options.include_usage) and `data: [DONE]`.

import { halves } from "./anthropic.ts";
import {
  allText,
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

/**
 * Side conversations the CLIs start with the same model, recognised by their system prompt:
 * OpenCode names every session with a "title generator" call; Qwen Code runs a background
 * memory-extraction agent after the turn (off in our settings, still recognised in case).
 */
const SIDE_PROMPTS: ReadonlyArray<{ purpose: string; pattern: RegExp; answer: string }> = [
  { purpose: "title", pattern: /You are a title generator/i, answer: "Scripted session" },
  { purpose: "memory extraction", pattern: /managed memory extraction subagent/i, answer: "Nothing to remember." },
];

export const openaiChat: Dialect = {
  name: "openai-chat",

  classify(req: IncomingRequest) {
    const p = req.url.pathname;
    if (req.method === "GET" && p === "/v1/models") {
      return { kind: "aux", purpose: "models", status: 200, json: { object: "list", data: [{ id: "scripted", object: "model", owned_by: "viable" }] } };
    }
    if (req.method !== "POST" || p !== "/v1/chat/completions") return undefined;
    const body = isRecord(req.body) ? req.body : {};
    const model = str(body["model"]) ?? "unknown";
    const system = asArray(body["messages"])
      .filter((m) => isRecord(m) && m["role"] === "system")
      .map((m) => allText(isRecord(m) ? m["content"] : ""))
      .join("\n");
    const side = SIDE_PROMPTS.find((s) => s.pattern.test(system));
    if (side || body["stream"] !== true) {
      const answer = side?.answer ?? "Scripted";
      const purpose = side?.purpose ?? "non-streaming completion";
      if (body["stream"] === true) {
        const { frames } = openaiChat.stream({ text: answer, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0 }, model }, { next: (x) => `${x}aux` });
        return { kind: "aux", purpose, status: 200, frames };
      }
      return {
        kind: "aux",
        purpose,
        status: 200,
        json: {
          id: "chatcmpl-aux",
          object: "chat.completion",
          created: 0,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        },
      };
    }
    const offeredTools = asArray(body["tools"]).flatMap((t) =>
      isRecord(t) && isRecord(t["function"]) && typeof t["function"]["name"] === "string" ? [t["function"]["name"]] : [],
    );
    return { kind: "turn", model, offeredTools };
  },

  stream(reply: ResolvedReply, ids: IdSource): Stream {
    const id = ids.next("chatcmpl-");
    const frames: string[] = [];
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): void =>
      void frames.push(sseFrame({ id, object: "chat.completion.chunk", created: 0, model: reply.model, choices, ...extra }));
    let holdAfter = 0;
    const pieces = reply.text === undefined ? [] : halves(reply.text);
    pieces.forEach((content, i) => chunk([{ index: 0, delta: i === 0 ? { role: "assistant", content } : { content }, finish_reason: null }]));
    if (pieces.length > 0) holdAfter = 1;
    reply.toolCalls.forEach((call, index) => {
      chunk([
        {
          index: 0,
          delta: {
            ...(index === 0 && pieces.length === 0 ? { role: "assistant" } : {}),
            tool_calls: [{ index, id: ids.next("call_"), type: "function", function: { name: call.name, arguments: "" } }],
          },
          finish_reason: null,
        },
      ]);
      chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: JSON.stringify(call.input) } }] }, finish_reason: null }]);
    });
    chunk([{ index: 0, delta: {}, finish_reason: reply.toolCalls.length > 0 ? "tool_calls" : "stop" }]);
    chunk([], {
      usage: {
        prompt_tokens: reply.usage.inputTokens,
        completion_tokens: reply.usage.outputTokens,
        total_tokens: reply.usage.inputTokens + reply.usage.outputTokens,
        prompt_tokens_details: { cached_tokens: reply.usage.cachedInputTokens },
      },
    });
    frames.push("data: [DONE]\n\n");
    return { frames, holdAfter };
  },

  errorBody(status: number, message: string) {
    return { error: { message, type: status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error", code: String(status), param: null } };
  },
};
