// The shape every provider dialect (Anthropic Messages, OpenAI Responses, Gemini, OpenAI chat
// completions) fills in: how to recognise its requests, how to stream a reply, how errors look.

import type { IncomingHttpHeaders } from "node:http";
import type { ReplyUsage } from "./script.ts";
import type { ConcreteToolCall } from "./tools.ts";

export type DialectName = "anthropic" | "openai-responses" | "gemini" | "openai-chat";

export interface IncomingRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
}

/** A request that asks the model for the next turn of the conversation: it consumes a script step. */
export interface TurnRequest {
  kind: "turn";
  model: string;
  /** Tool names the CLI offered, used to map neutral tool calls onto its own. */
  offeredTools: string[];
}

/** A request the CLI makes on the side; answered at once, no script step. */
export interface AuxRequest {
  kind: "aux";
  /** What it is, for the test's record ("title", "count_tokens", ...). */
  purpose: string;
  status: number;
  /** JSON body, or SSE frames when `frames` is set. */
  json?: unknown;
  frames?: string[];
}

export interface ResolvedReply {
  text: string | undefined;
  toolCalls: ConcreteToolCall[];
  usage: ReplyUsage;
  model: string;
}

export interface Stream {
  frames: string[];
  /** A hold pauses the stream after this many frames: enough that the CLI is mid-answer. */
  holdAfter: number;
}

export interface Dialect {
  readonly name: DialectName;
  /** undefined = not this dialect's request. */
  classify(req: IncomingRequest): TurnRequest | AuxRequest | undefined;
  stream(reply: ResolvedReply, ids: IdSource): Stream;
  errorBody(status: number, message: string): unknown;
}

export interface IdSource {
  next(prefix: string): string;
}

export function sseFrame(data: unknown, event?: string): string {
  return `${event === undefined ? "" : `event: ${event}\n`}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** Text of every message/content part, flattened: for recognising side requests by their prompt. */
export function allText(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(allText).join("\n");
  if (isRecord(v)) return Object.values(v).map(allText).join("\n");
  return "";
}
