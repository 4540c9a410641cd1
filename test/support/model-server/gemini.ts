// Gemini API, as Gemini CLI calls it: POST /v1beta/models/{model}:streamGenerateContent?alt=sse.
// The model is in the path; tools are `functionDeclarations`; tool calls are `functionCall` parts.

import { halves } from "./anthropic.ts";
import {
  asArray,
  isRecord,
  sseFrame,
  type Dialect,
  type IdSource,
  type IncomingRequest,
  type ResolvedReply,
  type Stream,
} from "./dialect.ts";

const MODEL_PATH = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):([A-Za-z]+)$/;

export const gemini: Dialect = {
  name: "gemini",

  classify(req: IncomingRequest) {
    const p = req.url.pathname;
    if (req.method === "GET" && /^\/v1(?:beta|alpha)?\/models$/.test(p)) {
      return { kind: "aux", purpose: "models", status: 200, json: { models: [{ name: "models/gemini-scripted", displayName: "Scripted" }] } };
    }
    const m = MODEL_PATH.exec(p);
    if (req.method !== "POST" || !m) return undefined;
    const model = decodeURIComponent(m[1] ?? "unknown");
    switch (m[2]) {
      case "countTokens":
        return { kind: "aux", purpose: "countTokens", status: 200, json: { totalTokens: 10 } };
      case "generateContent":
        // Non-streaming calls are the CLI's own side questions (model routing, next-speaker checks),
        // which expect a small JSON answer in the text.
        return {
          kind: "aux",
          purpose: "generateContent",
          status: 200,
          json: {
            candidates: [{ content: { role: "model", parts: [{ text: '{"reasoning":"scripted","next_speaker":"user","model_choice":"flash"}' }] }, finishReason: "STOP", index: 0 }],
            usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
          },
        };
      case "streamGenerateContent": {
        const body = isRecord(req.body) ? req.body : {};
        const offeredTools = asArray(body["tools"]).flatMap((t) =>
          isRecord(t) ? asArray(t["functionDeclarations"]).flatMap((f) => (isRecord(f) && typeof f["name"] === "string" ? [f["name"]] : [])) : [],
        );
        return { kind: "turn", model, offeredTools };
      }
      default:
        return undefined;
    }
  },

  stream(reply: ResolvedReply, _ids: IdSource): Stream {
    const frames: string[] = [];
    const chunk = (parts: unknown[], last: boolean): void => {
      frames.push(
        sseFrame({
          candidates: [{ content: { role: "model", parts }, ...(last ? { finishReason: "STOP" } : {}), index: 0 }],
          ...(last
            ? {
                usageMetadata: {
                  promptTokenCount: reply.usage.inputTokens,
                  candidatesTokenCount: reply.usage.outputTokens,
                  cachedContentTokenCount: reply.usage.cachedInputTokens,
                  totalTokenCount: reply.usage.inputTokens + reply.usage.outputTokens,
                },
              }
            : {}),
          modelVersion: reply.model,
        }),
      );
    };
    const pieces = reply.text === undefined ? [] : halves(reply.text);
    const calls = reply.toolCalls.map((c) => ({ functionCall: { name: c.name, args: c.input } }));
    if (pieces.length === 0) {
      chunk(calls.length > 0 ? calls : [{ text: "" }], true);
      return { frames, holdAfter: 0 };
    }
    pieces.forEach((piece, i) => {
      const last = i === pieces.length - 1;
      chunk(last ? [{ text: piece }, ...calls] : [{ text: piece }], last);
    });
    return { frames, holdAfter: 1 };
  },

  errorBody(status: number, message: string) {
    const statusName =
      status === 401 ? "UNAUTHENTICATED"
      : status === 403 ? "PERMISSION_DENIED"
      : status === 429 ? "RESOURCE_EXHAUSTED"
      : status === 503 ? "UNAVAILABLE"
      : status >= 500 ? "INTERNAL"
      : "INVALID_ARGUMENT";
    return { error: { code: status, message, status: statusName } };
  },
};
